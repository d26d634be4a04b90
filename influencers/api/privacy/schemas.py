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
    object_type = fields.String(validate=one_of(OBJECT_TYPES))


class WorkspaceAuditEventSchema(ma.Schema):
    id = fields.Integer(required=True)
    object_type = fields.String(required=True, validate=one_of(OBJECT_TYPES))
    object_id = fields.Integer(required=True, metadata={
        "description": "The object's id (0 for an erasure request that found nobody)"})
    action = fields.String(required=True, validate=one_of(ACTIONS))
    from_status = fields.String(allow_none=True, required=True)
    to_status = fields.String(required=True)
    reason = fields.String(allow_none=True, required=True)
    key_id = fields.Integer(allow_none=True, required=True, metadata={
        "description": "The API key that made the change (null: an operator's command or a scheduled task)"})
    at = fields.DateTime(required=True)
