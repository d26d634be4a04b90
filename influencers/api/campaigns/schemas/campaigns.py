"""Campaigns: bodies, representations, status transitions and the audit trail."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from influencers.api.campaigns.schemas.fields import (
    CURRENCY,
    MINOR,
    DecimalText,
    TagListsBody,
    hashtag_list,
    mention_list,
)
from influencers.api.schemas import BodySchema, Count, QuerySchema, one_of
from influencers.campaigns import kpis
from influencers.campaigns.models import (
    AUDITED_OBJECTS,
    CAMPAIGN_CREATOR_STATUSES,
    CAMPAIGN_STATUSES,
    DELIVERABLE_STATUSES,
    OBJECTIVES,
)

UTM_PARAMETERS = ("source", "medium", "campaign", "term", "content")

UtmSchema = BodySchema.from_dict(
    {name: fields.String(validate=validate.Length(min=1, max=200)) for name in UTM_PARAMETERS}, name="Utm")
UtmOut = ma.Schema.from_dict({name: fields.String() for name in UTM_PARAMETERS}, name="UtmOut")


class TrackingSchema(TagListsBody):
    utm = fields.Nested(UtmSchema, metadata={"description": "Default UTM parameters for tracked links"})
    hashtags = hashtag_list("Campaign hashtags; the default required hashtags of briefs")
    mentions = mention_list("Accounts to mention; the default required mentions of briefs")


TARGETS_DESCRIPTION = (
    "Target KPIs as decimal strings, keyed by KPI: volumes (impressions, reach, views, engagements, clicks, "
    "conversions), ratios (engagement_rate_by_followers, engagement_rate_by_reach, ctr, roas, roi), costs in "
    "the campaign currency's major units (cpm, cpe, cpc, cpv, cpa: lower is better), revenue and emv. "
    "The report compares each with its actual."
)


class CampaignFields(BodySchema):
    name = fields.String(validate=validate.Length(min=1, max=200))
    brand = fields.String(validate=validate.Length(min=1, max=200))
    objective = fields.String(validate=one_of(OBJECTIVES))
    budget_minor = Count(metadata=MINOR)
    currency = fields.String(validate=CURRENCY, metadata={"description": "The budget's currency"})
    exchange_rates = fields.Dict(
        keys=fields.String(validate=CURRENCY), values=DecimalText(),
        validate=validate.Length(max=50),
        metadata={"description": "Explicit rates into the campaign currency: {\"USD\": \"0.92\"} means "
                                 "1 USD = 0.92 of the campaign currency. Fees or revenue in a currency "
                                 "without a rate are reported per currency, never mixed."},
    )
    start_date = fields.Date(allow_none=True)
    end_date = fields.Date(allow_none=True, metadata={"description": "Not before start_date"})
    target_kpis = fields.Dict(keys=fields.String(validate=one_of(kpis.TARGETABLE)), values=DecimalText(signed=True),
                              metadata={"description": TARGETS_DESCRIPTION})
    tracking = fields.Nested(TrackingSchema)


class CampaignCreateSchema(CampaignFields):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    brand = fields.String(required=True, validate=validate.Length(min=1, max=200))
    objective = fields.String(required=True, validate=one_of(OBJECTIVES))
    budget_minor = Count(required=True, metadata=MINOR)
    currency = fields.String(required=True, validate=CURRENCY)

    @ma.validates_schema
    def _dates(self, data, **_kwargs):
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            raise ma.ValidationError("must not be before start_date", field_name="end_date")


class CampaignUpdateSchema(CampaignFields):
    """Every field optional. The status changes only through transitions."""


class AmountSchema(ma.Schema):
    currency = fields.String(required=True)
    amount_minor = fields.Integer(required=True, metadata=MINOR)


class SpendSchema(ma.Schema):
    budget_minor = fields.Integer(required=True, metadata=MINOR)
    currency = fields.String(required=True)
    committed_minor = fields.Integer(
        allow_none=True, required=True,
        metadata={"description": "Sum of the fees of contracted and completed creators, in the campaign currency "
                                 "(null when a fee currency has no exchange rate)"})
    committed_by_currency = fields.List(fields.Nested(AmountSchema), required=True)
    remaining_minor = fields.Integer(allow_none=True, required=True, metadata={"description": "budget - committed"})
    over_budget = fields.Boolean(allow_none=True, required=True)
    warnings = fields.List(fields.String(), required=True,
                           metadata={"description": "Over budget, or fees that cannot be compared to the budget"})


class SpendField(fields.Nested):
    """The campaign's committed spend against its budget, computed when serialised."""

    def __init__(self, **kwargs):
        super().__init__(SpendSchema, **kwargs)

    def serialize(self, attr, obj, accessor=None, **kwargs):
        from influencers.api import unit_of_work
        from influencers.campaigns.service import spend

        return self._serialize(spend(unit_of_work.session(), obj).to_dict(), attr, obj, **kwargs)


class TrackingOut(ma.Schema):
    utm = fields.Nested(UtmOut)
    hashtags = fields.List(fields.String())
    mentions = fields.List(fields.String())


class CampaignSchema(ma.Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    brand = fields.String(required=True)
    objective = fields.String(required=True, validate=one_of(OBJECTIVES))
    budget_minor = fields.Integer(required=True, metadata=MINOR)
    currency = fields.String(required=True)
    exchange_rates = fields.Dict(keys=fields.String(), values=fields.String(), required=True)
    start_date = fields.Date(allow_none=True, required=True)
    end_date = fields.Date(allow_none=True, required=True)
    target_kpis = fields.Dict(keys=fields.String(), values=fields.String(), required=True)
    tracking = fields.Nested(TrackingOut, required=True)
    status = fields.String(required=True, validate=one_of(CAMPAIGN_STATUSES))
    allowed_transitions = fields.List(fields.String(), required=True)
    brief_version = fields.Integer(required=True, metadata={"description": "The latest brief version (0: none yet)"})
    budget = SpendField(required=True, metadata={"description": "Committed spend against the budget"})
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)
    version = fields.Integer(required=True, metadata={"description": "Row version; the ETag is derived from it"})


class CampaignListArgs(QuerySchema):
    status = fields.String(validate=one_of(CAMPAIGN_STATUSES))
    q = fields.String(validate=validate.Length(min=1, max=100), metadata={"description": "Text in name or brand"})


def transition_schema(name: str, statuses, extra: dict | None = None):
    attrs = {
        "to": fields.String(required=True, validate=one_of(statuses), metadata={"description": "The next status"}),
        "reason": fields.String(allow_none=True, validate=validate.Length(max=1000),
                                metadata={"description": "Why, for the audit trail"}),
        **(extra or {}),
    }
    return BodySchema.from_dict(attrs, name=name)


CampaignTransitionSchema = transition_schema("CampaignTransition", CAMPAIGN_STATUSES)
CampaignCreatorTransitionSchema = transition_schema("CampaignCreatorTransition", CAMPAIGN_CREATOR_STATUSES)
DeliverableTransitionSchema = transition_schema("DeliverableTransition", DELIVERABLE_STATUSES, {
    "draft_url": fields.URL(validate=validate.Length(max=2000),
                            metadata={"description": "to=submitted: link to the draft"}),
    "draft_text": fields.String(validate=validate.Length(max=20000),
                                metadata={"description": "to=submitted: the draft caption or script"}),
    "comments": fields.String(validate=validate.Length(max=20000),
                              metadata={"description": "to=changes_requested (required) or approved: review comments"}),
    "post_external_id": fields.String(validate=validate.Length(min=1, max=200),
                                      metadata={"description": "to=published: the platform id of the published post"}),
})


class AuditEventSchema(ma.Schema):
    id = fields.Integer(required=True)
    object_type = fields.String(required=True, validate=one_of(AUDITED_OBJECTS))
    object_id = fields.Integer(required=True)
    action = fields.String(required=True, validate=one_of(["created", "transition"]))
    from_status = fields.String(allow_none=True, required=True)
    to_status = fields.String(required=True)
    reason = fields.String(allow_none=True, required=True)
    key_id = fields.Integer(allow_none=True, required=True,
                            metadata={"description": "The API key that made the change"})
    at = fields.DateTime(required=True)


