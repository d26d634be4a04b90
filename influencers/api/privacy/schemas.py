"""Erasure requests and the workspace's audit trail."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from influencers.api.schemas import BodySchema, QuerySchema, one_of
from influencers.campaigns.models import AUDITED_OBJECTS as CAMPAIGN_OBJECTS
from influencers.creators.models import PLATFORMS
from influencers.privacy.service import AUDIT_ACTIONS, AUDITED_OBJECTS

OBJECT_TYPES = (*CAMPAIGN_OBJECTS, *AUDITED_OBJECTS)
ACTIONS = ("created", "transition", *AUDIT_ACTIONS)


class ErasureRequestSchema(BodySchema):
    platform = fields.String(required=True, validate=one_of(PLATFORMS))
    member_id = fields.String(required=True, validate=validate.Length(min=1, max=200), metadata={
        "description": "The follower's id on the platform, as imports send it in audience members' `id`. "
                       "Used to find the person's pseudonym; never stored nor echoed."})


class ErasureResultSchema(ma.Schema):
    platform = fields.String(required=True)
    member_found = fields.Boolean(required=True, metadata={
        "description": "Whether the person was in any audience sample of this workspace"})
    samples_changed = fields.Integer(required=True, metadata={
        "description": "Measured: audience samples the person was removed from"})
    sketches_rebuilt = fields.Integer(required=True, metadata={
        "description": "Stored overlap sketches rebuilt without the person"})
    audit_event_id = fields.Integer(required=True)
    erased_at = fields.DateTime(required=True)


class AuditListArgs(QuerySchema):
    object_type = fields.String(validate=validate.Length(min=1, max=20),
                                metadata={"description": "Only events of this object type, e.g. audience_member"})


class WorkspaceAuditEventSchema(ma.Schema):
    id = fields.Integer(required=True)
    # Open: other parts of the product record their own object types in the same trail.
    object_type = fields.String(required=True, metadata={
        "description": "What changed, e.g. " + ", ".join(OBJECT_TYPES)})
    object_id = fields.Integer(required=True, metadata={
        "description": "The object's id (0 for an erasure request that found nobody)"})
    action = fields.String(required=True, metadata={"description": "e.g. " + ", ".join(ACTIONS)})
    from_status = fields.String(allow_none=True, required=True)
    to_status = fields.String(required=True)
    reason = fields.String(allow_none=True, required=True)
    key_id = fields.Integer(allow_none=True, required=True, metadata={
        "description": "The API key that made the change (null: an operator's command or a scheduled task)"})
    at = fields.DateTime(required=True)
