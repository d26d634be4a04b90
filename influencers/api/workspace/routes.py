"""The caller's workspace and its API keys (keys are managed by admins)."""
from __future__ import annotations

from flask import current_app, g

from influencers.api import unit_of_work
from influencers.api.auth import current_workspace_id, requires
from influencers.api.base import Blueprint, Listing, SQLPage
from influencers.api.workspace.schemas import ApiKeyCreateSchema, ApiKeySchema, CreatedApiKeySchema, WorkspaceSchema
from influencers.workspaces import service

blp = Blueprint("workspace", __name__, url_prefix="/v1", description="The caller's workspace and its API keys")


@blp.route("/workspace", methods=["GET"], operation_id="getWorkspace", summary="Read the workspace of the calling key")
@requires("read")
@blp.response(200, WorkspaceSchema)
def get_workspace():
    return service.get_workspace(unit_of_work.session(), current_workspace_id())


@blp.route("/keys", methods=["GET"], operation_id="listApiKeys",
           summary="List the workspace's API keys (without secrets)")
@requires("admin")
@blp.response(200, ApiKeySchema(many=True))
@blp.paginate(SQLPage)
def list_keys():
    return Listing(unit_of_work.session(), service.keys_select(current_workspace_id()))


@blp.route("/keys", methods=["POST"], operation_id="createApiKey",
           summary="Create an API key (its secret is shown once)",
           replay_redacts=("key",))
@requires("admin")
@blp.arguments(ApiKeyCreateSchema)
@blp.response(201, CreatedApiKeySchema)
def create_key(body):
    key, plaintext = service.create_key(
        unit_of_work.session(), current_workspace_id(), role=body["role"], name=body["name"]
    )
    key.plaintext_key = plaintext  # not a column: only this response carries it
    return key, 201, {"Location": f"/v1/keys/{key.id}"}


@blp.route("/keys/<id:key_id>", methods=["GET"], operation_id="getApiKey",
           summary="Read an API key (without its secret)")
@requires("admin")
@blp.response(200, ApiKeySchema)
def get_key(key_id):
    return service.get_key(unit_of_work.session(), current_workspace_id(), key_id)


@blp.route("/keys/<id:key_id>", methods=["DELETE"], operation_id="revokeApiKey", summary="Revoke an API key")
@requires("admin")
@blp.response(200, ApiKeySchema)
@blp.alt_response(409, description="A key cannot revoke itself")
def revoke_key(key_id):
    key = service.revoke_key(unit_of_work.session(), current_workspace_id(), key_id, caller_key_id=g.principal.key_id)
    # This process refuses the key from the commit on; the others within their revalidation interval.
    unit_of_work.after_commit(current_app.extensions["influencers.key_cache"].expire)
    return key
