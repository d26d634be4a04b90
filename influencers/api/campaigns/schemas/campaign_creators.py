"""Creators in a campaign: adding (one or in bulk), updating, exclusivity warnings."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from influencers.api.campaigns.schemas.fields import CURRENCY, MINOR, ONE_ID, SOURCE
from influencers.api.schemas import BodySchema, Count, QuerySchema, StrictInteger, one_of
from influencers.campaigns.models import CAMPAIGN_CREATOR_STATUSES


class CampaignCreatorFields(BodySchema):
    fee_minor = Count(allow_none=True, metadata=MINOR)
    currency = fields.String(validate=CURRENCY)
    notes = fields.String(allow_none=True, validate=validate.Length(max=5000))


class CampaignCreatorAddSchema(CampaignCreatorFields):
    creator_id = StrictInteger(required=True, validate=ONE_ID)
    currency = fields.String(validate=CURRENCY,
                             metadata={"description": "The fee's currency (default: the campaign's)"})


class CampaignCreatorBulkSchema(BodySchema):
    creator_ids = fields.List(StrictInteger(validate=ONE_ID), validate=validate.Length(min=1, max=1000),
                              metadata={"description": "Creators to add, e.g. a saved shortlist "
                                                       "or an optimiser result"})
    creators = fields.List(fields.Nested(CampaignCreatorAddSchema), validate=validate.Length(min=1, max=1000),
                           metadata={"description": "Or: creators with their fees and notes"})
    source = fields.String(load_default="bulk", validate=SOURCE,
                           metadata={"description": "Where the list comes from, e.g. 'shortlist:12'"})
    skip_existing = fields.Boolean(load_default=True,
                                   metadata={"description": "Skip creators already in the campaign (else 409)"})

    @ma.validates_schema
    def _exactly_one(self, data, **_kwargs):
        if ("creator_ids" in data) == ("creators" in data):
            raise ma.ValidationError("give either creator_ids or creators", field_name="creator_ids")


class CampaignCreatorUpdateSchema(CampaignCreatorFields):
    pass


class ExclusivityPostSchema(ma.Schema):
    post_id = fields.Integer(required=True)
    external_id = fields.String(required=True)
    platform = fields.String(required=True)
    published_at = fields.DateTime(required=True)


class ExclusivityWarningSchema(ma.Schema):
    creator_id = fields.Integer(required=True)
    brand_id = fields.Integer(required=True)
    brand = fields.String(required=True, metadata={"description": "The competitor that sponsored the posts"})
    exclusivity_days = fields.Integer(required=True)
    posts = fields.List(fields.Nested(ExclusivityPostSchema), required=True)
    message = fields.String(required=True)


class CampaignCreatorSchema(ma.Schema):
    id = fields.Integer(required=True)
    campaign_id = fields.Integer(required=True)
    creator_id = fields.Integer(required=True)
    status = fields.String(required=True, validate=one_of(CAMPAIGN_CREATOR_STATUSES))
    allowed_transitions = fields.List(fields.String(), required=True)
    fee_minor = fields.Integer(allow_none=True, required=True, metadata=MINOR)
    currency = fields.String(required=True)
    notes = fields.String(allow_none=True, required=True)
    source = fields.String(required=True)
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)
    version = fields.Integer(required=True)
    budget_warnings = fields.List(
        fields.String(),
        metadata={"description": "On writes: the campaign's budget warnings (e.g. over budget) after this change"})
    exclusivity_warnings = fields.List(fields.Nested(ExclusivityWarningSchema), metadata={
        "description": "When added: sponsored posts for a competitor of the campaign's brand within the brief's "
                       "exclusivity window (a warning, not a refusal)"})


class BulkAddResultSchema(ma.Schema):
    added = fields.List(fields.Nested(CampaignCreatorSchema), required=True)
    already_in_campaign = fields.List(fields.Integer(), required=True, metadata={"description": "Skipped creator ids"})
    budget_warnings = fields.List(fields.String(), required=True)
    exclusivity_warnings = fields.List(fields.Nested(ExclusivityWarningSchema), required=True)


class CampaignCreatorListArgs(QuerySchema):
    status = fields.String(validate=one_of(CAMPAIGN_CREATOR_STATUSES))


