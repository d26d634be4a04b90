"""The creator graph: neighbourhoods, communities, GraphML/GEXF export."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from influencers.api.schemas import QueryCount, QuerySchema, one_of
from influencers.creators.models import EDGE_KINDS, PLATFORMS

KINDS_HELP = "Edge kinds to include (repeat the parameter; default: all)"


class NeighbourhoodArgs(QuerySchema):
    radius = QueryCount(load_default=1, validate=validate.Range(min=1, max=2), metadata={"description": "1 or 2 hops"})
    kinds = fields.List(fields.String(validate=one_of(EDGE_KINDS)), metadata={"description": KINDS_HELP})
    max_nodes = QueryCount(load_default=500, validate=validate.Range(min=1, max=5000),
                           metadata={"description": "Keep the nearest nodes (heaviest ties first)"})


class CommunitiesArgs(QuerySchema):
    platform = fields.String(required=True, validate=one_of(PLATFORMS))
    kinds = fields.List(fields.String(validate=one_of(EDGE_KINDS)), metadata={"description": KINDS_HELP})
    top = QueryCount(load_default=5, validate=validate.Range(min=1, max=100),
                     metadata={"description": "Top creators by PageRank per community"})
    min_size = QueryCount(load_default=2, validate=validate.Range(min=1, max=100000))


class ExportArgs(QuerySchema):
    platform = fields.String(required=True, validate=one_of(PLATFORMS))
    format = fields.String(load_default="graphml", validate=one_of(["graphml", "gexf"]))
    kinds = fields.List(fields.String(validate=one_of(EDGE_KINDS)), metadata={"description": KINDS_HELP})


class GraphNodeSchema(ma.Schema):
    class Meta:
        unknown = ma.INCLUDE

    id = fields.Integer(required=True, metadata={"description": "Creator id"})
    distance = fields.Integer(required=True, metadata={"description": "Hops from the centre, ignoring direction"})
    handle = fields.String()
    followers = fields.Integer()
    platform = fields.String()
    pagerank = fields.Float(metadata={"description": (
        "PageRank of the creator in the platform's creator graph of the requested edge kinds (alpha 0.85, "
        "L1 tolerance 1e-10), computed from the imported edges at request time; sums to 1 over the platform")})


class GraphEdgeSchema(ma.Schema):
    source = fields.Integer(required=True)
    target = fields.Integer(required=True)
    weight = fields.Float(required=True, metadata={"description": "Sum of the kinds' weights"})
    kinds = fields.List(fields.String(validate=one_of(EDGE_KINDS)), required=True)
    weights = fields.Dict(keys=fields.String(validate=one_of(EDGE_KINDS)), values=fields.Float(), required=True,
                          metadata={"description": "Weight per kind"})


class NeighbourhoodSchema(ma.Schema):
    center = fields.Integer(required=True)
    radius = fields.Integer(required=True)
    platform = fields.String(required=True)
    kinds = fields.List(fields.String(), required=True)
    truncated = fields.Boolean(required=True, metadata={"description": "More nodes were within reach than max_nodes"})
    nodes = fields.List(fields.Nested(GraphNodeSchema), required=True)
    edges = fields.List(fields.Nested(GraphEdgeSchema), required=True, metadata={"description": "Directed"})


class TopCreatorSchema(ma.Schema):
    creator_id = fields.Integer(required=True)
    handle = fields.String(allow_none=True, required=True)
    pagerank = fields.Float(required=True)


class CommunitySchema(ma.Schema):
    id = fields.Integer(required=True)
    size = fields.Integer(required=True)
    top_creators = fields.List(fields.Nested(TopCreatorSchema), required=True)


class CommunitiesSchema(ma.Schema):
    platform = fields.String(required=True)
    creators = fields.Integer(required=True, metadata={"description": "Creators with at least one edge"})
    edges = fields.Integer(required=True)
    seed = fields.Integer(required=True)
    method = fields.String(required=True)
    communities = fields.List(fields.Nested(CommunitySchema), required=True, metadata={"description": "Largest first"})
