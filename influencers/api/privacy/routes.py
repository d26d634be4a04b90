"""Erasure requests (a person removed from every audience sample) and the workspace's audit trail."""
from __future__ import annotations

from dataclasses import asdict

from flask import current_app, g

from influencers.api import unit_of_work
from influencers.api.auth import current_workspace_id, requires
from influencers.api.base import Blueprint, Listing, SQLPage
from influencers.api.privacy.schemas import (
    AuditListArgs,
    ErasureRequestSchema,
    ErasureResultSchema,
    WorkspaceAuditEventSchema,
)
from influencers.privacy import service

blp = Blueprint("privacy", __name__, url_prefix="/v1",
                description="Personal data: erasure requests and the workspace's audit trail")


@blp.route("/audience-erasures", methods=["POST"], operation_id="eraseAudienceMember",
           summary="Erase a person (platform + follower id) from every audience sample of the workspace")
@requires("admin")
@blp.arguments(ErasureRequestSchema)
@blp.response(200, ErasureResultSchema, description="Done: how many samples changed (0 when nobody matched)")
def erase_audience_member(body):
    settings = current_app.extensions["influencers.settings"]
    result = service.erase_member(unit_of_work.session(), current_workspace_id(), body["platform"],
                                  body["member_id"], secret=settings.pseudonym_secret, key_id=g.principal.key_id)
    return asdict(result)


@blp.route("/audit-events", methods=["GET"], operation_id="listAuditEvents",
           summary="The workspace's audit trail (campaign changes, erasures, retention, deleted creators)")
@requires("admin")
@blp.arguments(AuditListArgs, location="query", as_kwargs=True)
@blp.response(200, WorkspaceAuditEventSchema(many=True))
@blp.paginate(SQLPage)
def list_audit_events(object_type=None):
    return Listing(unit_of_work.session(), service.audit_events_select(current_workspace_id(), object_type))
