"""Deliverables and their submissions."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from influencers.api.campaigns.schemas.fields import ONE_ID
from influencers.api.schemas import BodySchema, QueryCount, QuerySchema, StrictInteger, one_of
from influencers.campaigns.models import (
    DELIVERABLE_KINDS,
    DELIVERABLE_STATUSES,
)
from influencers.creators.models import PLATFORMS


class DeliverableFields(BodySchema):
    kind = fields.String(validate=one_of(DELIVERABLE_KINDS))
    title = fields.String(allow_none=True, validate=validate.Length(max=200))
    due_date = fields.Date(allow_none=True)
    brief_version = StrictInteger(validate=ONE_ID, metadata={"description": "The brief version it answers"})


class DeliverableCreateSchema(DeliverableFields):
    kind = fields.String(required=True, validate=one_of(DELIVERABLE_KINDS))
    platform = fields.String(validate=one_of(PLATFORMS), metadata={"description": "Default: the creator's platform"})
    brief_version = StrictInteger(validate=ONE_ID, metadata={"description": "Default: the latest brief version"})


class DeliverableUpdateSchema(DeliverableFields):
    """Every field optional."""


class DeliverableSchema(ma.Schema):
    id = fields.Integer(required=True)
    campaign_id = fields.Integer(required=True)
    campaign_creator_id = fields.Integer(required=True)
    kind = fields.String(required=True, validate=one_of(DELIVERABLE_KINDS))
    platform = fields.String(required=True)
    title = fields.String(allow_none=True, required=True)
    due_date = fields.Date(allow_none=True, required=True)
    overdue = fields.Boolean(required=True, metadata={"description": "Past due (UTC) and neither published nor missed"})
    status = fields.String(required=True, validate=one_of(DELIVERABLE_STATUSES))
    allowed_transitions = fields.List(fields.String(), required=True)
    brief_version = fields.Integer(required=True, metadata={"description": "The brief version it answers"})
    post_external_id = fields.String(allow_none=True, required=True)
    published_at = fields.DateTime(allow_none=True, required=True)
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)
    version = fields.Integer(required=True)


class DeliverableListArgs(QuerySchema):
    campaign_id = QueryCount(validate=ONE_ID)
    status = fields.String(validate=one_of(DELIVERABLE_STATUSES))
    overdue = fields.Boolean(metadata={"description": "true: only overdue deliverables; false: only the others"})


class CampaignDeliverableListArgs(QuerySchema):
    status = fields.String(validate=one_of(DELIVERABLE_STATUSES))
    overdue = fields.Boolean(metadata={"description": "true: only overdue deliverables; false: only the others"})


class SubmissionSchema(ma.Schema):
    number = fields.Integer(required=True)
    brief_version = fields.Integer(required=True, metadata={"description": "The latest brief when submitted"})
    draft_url = fields.String(allow_none=True, required=True)
    draft_text = fields.String(allow_none=True, required=True)
    submitted_at = fields.DateTime(required=True)
    submitted_by_key_id = fields.Integer(allow_none=True, required=True)
    decision = fields.String(allow_none=True, required=True, validate=one_of(["changes_requested", "approved"]))
    review_comments = fields.String(allow_none=True, required=True)
    reviewed_at = fields.DateTime(allow_none=True, required=True)
    reviewed_by_key_id = fields.Integer(allow_none=True, required=True)


