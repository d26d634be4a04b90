"""HTTP routes for the creator graph: a creator's neighbourhood, communities, GraphML/GEXF export."""
from __future__ import annotations

from flask import Response

from influencers.api import unit_of_work
from influencers.api.auth import current_workspace_id, requires
from influencers.api.base import Blueprint
from influencers.api.graph.schemas import (
    CommunitiesArgs,
    CommunitiesSchema,
    ExportArgs,
    NeighbourhoodArgs,
    NeighbourhoodSchema,
)
from influencers.creators import service as creators
from influencers.graph import service

blp = Blueprint("graph", __name__, url_prefix="/v1",
                description="The creator graph: neighbourhoods, communities, exports")

_FILE = {"schema": {"type": "string", "format": "binary"}}


@blp.route("/creators/<id:creator_id>/neighbourhood", methods=["GET"], operation_id="getCreatorNeighbourhood",
           summary="A creator's ego graph (1 or 2 hops, edges in either direction) with edge kinds and weights")
@requires("read")
@blp.arguments(NeighbourhoodArgs, location="query", as_kwargs=True)
@blp.response(200, NeighbourhoodSchema)
def get_neighbourhood(creator_id, radius, max_nodes, kinds=None):
    creator = creators.get_creator(unit_of_work.session(), current_workspace_id(), creator_id)
    return service.neighbourhood(unit_of_work.session(), current_workspace_id(), creator, radius=radius,
                                 kinds=kinds, max_nodes=max_nodes)


@blp.route("/graph/communities", methods=["GET"], operation_id="listGraphCommunities",
           summary="Communities of a platform's creator graph (Louvain, seeded) with their top creators by PageRank")
@requires("read")
@blp.arguments(CommunitiesArgs, location="query", as_kwargs=True)
@blp.response(200, CommunitiesSchema)
def list_communities(platform, top, min_size, kinds=None):
    return service.community_list(unit_of_work.session(), current_workspace_id(), platform, top=top,
                                  min_size=min_size, kinds=kinds)


@blp.route("/graph/export", methods=["GET"], operation_id="exportGraph",
           summary="Download a platform's creator graph as GraphML or GEXF (for Gephi and other tools)")
@requires("read")
@blp.arguments(ExportArgs, location="query", as_kwargs=True)
@blp.doc(responses={"200": {
    "description": "The graph file: every creator of the platform (handle, followers, PageRank, community) and "
                   "its edges (weight, kinds, weight per kind)",
    "content": {"application/graphml+xml": _FILE, "application/gexf+xml": _FILE},
}})
def export_graph(platform, format, kinds=None):
    data, content_type = service.export_graph(unit_of_work.session(), current_workspace_id(), platform, format,
                                              kinds=kinds)
    return Response(data, status=200, content_type=content_type, headers={
        "Content-Disposition": f'attachment; filename="creators-{platform}.{format}"'})
