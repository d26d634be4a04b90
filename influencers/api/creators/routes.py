"""HTTP routes for creators: parse, check access, call the creator service, serialise."""
from __future__ import annotations

from flask import g

from influencers.api import unit_of_work
from influencers.api.auth import current_workspace_id, requires
from influencers.api.base import Blueprint, Listing, SQLPage, etag_of
from influencers.api.creators.schemas import (
    AudienceSummarySchema,
    CreatorCreateSchema,
    CreatorListArgs,
    CreatorSchema,
    CreatorUpdateSchema,
    PostListArgs,
    PostSchema,
    SnapshotSchema,
)
from influencers.brands import service as brands
from influencers.brands.discovery import posts_select
from influencers.creators import service
from influencers.creators.service import CreatorFilters
from influencers.privacy import service as privacy

blp = Blueprint("creators", __name__, url_prefix="/v1/creators", description="Creator profiles and their data")


@blp.route("", methods=["GET"], operation_id="listCreators", summary="List and filter creators")
@requires("read")
@blp.arguments(CreatorListArgs, location="query", as_kwargs=True)
@blp.response(200, CreatorSchema(many=True))
@blp.paginate(SQLPage)
def list_creators(**filters):
    stmt = service.list_creators_select(current_workspace_id(), CreatorFilters(**filters))
    return Listing(unit_of_work.session(), stmt)


@blp.route("", methods=["POST"], operation_id="createCreator", summary="Create a creator")
@blp.etag
@requires("write")
@blp.arguments(CreatorCreateSchema)
@blp.response(201, CreatorSchema)
@blp.alt_response(409, description="A creator with this platform and handle exists")
def create_creator(body):
    creator = service.create_creator(unit_of_work.session(), current_workspace_id(), body)
    blp.set_etag(etag_of("creator", creator.id, creator.version))
    return creator, 201, {"Location": f"/v1/creators/{creator.id}"}


@blp.route("/<id:creator_id>", methods=["GET"], operation_id="getCreator", summary="Read a creator")
@blp.etag
@requires("read")
@blp.response(200, CreatorSchema)
def get_creator(creator_id):
    creator = service.creator_profile(unit_of_work.session(), current_workspace_id(), creator_id)
    blp.set_etag(etag_of("creator", creator["id"], creator["version"]))
    return creator


@blp.route("/<id:creator_id>", methods=["PATCH"], operation_id="updateCreator",
           summary="Update a creator (If-Match required)")
@blp.etag
@requires("write")
@blp.arguments(CreatorUpdateSchema)
@blp.response(200, CreatorSchema)
def update_creator(changes, creator_id):
    creator = service.get_creator(unit_of_work.session(), current_workspace_id(), creator_id)
    blp.check_etag(etag_of("creator", creator.id, creator.version))
    creator = service.update_creator(unit_of_work.session(), current_workspace_id(), creator_id, creator.version,
                                     changes)
    blp.set_etag(etag_of("creator", creator.id, creator.version))
    return creator


@blp.route("/<id:creator_id>", methods=["DELETE"], operation_id="deleteCreator",
           summary="Delete a creator and all its data (If-Match required)")
@blp.etag
@requires("write")
@blp.response(204)
def delete_creator(creator_id):
    creator = service.get_creator(unit_of_work.session(), current_workspace_id(), creator_id)
    blp.check_etag(etag_of("creator", creator.id, creator.version))
    privacy.delete_creator(unit_of_work.session(), current_workspace_id(), creator_id, creator.version,
                           key_id=g.principal.key_id)


@blp.route("/<id:creator_id>/posts", methods=["GET"], operation_id="listCreatorPosts",
           summary="List a creator's posts, newest first")
@requires("read")
@blp.arguments(PostListArgs, location="query", as_kwargs=True)
@blp.response(200, PostSchema(many=True))
@blp.paginate(SQLPage)
def list_posts(creator_id, mention=None, sponsored=None):
    service.get_creator(unit_of_work.session(), current_workspace_id(), creator_id)
    brand_id = None if mention is None else brands.mentioned_brand_id(unit_of_work.session(), current_workspace_id(),
                                                                      mention)
    return Listing(unit_of_work.session(), posts_select(creator_id, brand_id, sponsored))


@blp.route("/<id:creator_id>/snapshots", methods=["GET"], operation_id="listCreatorSnapshots",
           summary="List a creator's daily follower snapshots, newest first")
@requires("read")
@blp.response(200, SnapshotSchema(many=True))
@blp.paginate(SQLPage)
def list_snapshots(creator_id):
    service.get_creator(unit_of_work.session(), current_workspace_id(), creator_id)
    return Listing(unit_of_work.session(), service.snapshots_select(creator_id))


@blp.route("/<id:creator_id>/audience", methods=["GET"], operation_id="getCreatorAudience",
           summary="Summarise a creator's latest audience sample")
@requires("read")
@blp.response(200, AudienceSummarySchema)
def get_audience(creator_id):
    service.get_creator(unit_of_work.session(), current_workspace_id(), creator_id)
    summary = service.audience_summary(unit_of_work.session(), creator_id)
    return {"creator_id": creator_id, "basis": "measured on the latest audience sample", **summary}
