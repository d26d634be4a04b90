"""Campaign management resources: campaigns, briefs, creators in campaigns, deliverables,
results, KPIs, EMV rate cards, audit trails and the campaign report.

Money amounts are integer minor units (``*_minor``) beside an ISO 4217
``currency``; rates, targets and KPI values are decimal strings. No floats.
"""
from __future__ import annotations

from decimal import Decimal

import marshmallow as ma
from marshmallow import fields, post_load, validate

from influencers.api.converters import MAX_ID
from influencers.api.schemas import BodySchema, Count, QueryCount, QuerySchema, StrictInteger, one_of
from influencers.campaigns import kpis
from influencers.campaigns.models import (
    AUDITED_OBJECTS,
    CAMPAIGN_CREATOR_STATUSES,
    CAMPAIGN_STATUSES,
    DELIVERABLE_KINDS,
    DELIVERABLE_STATUSES,
    OBJECTIVES,
    RESULT_SOURCES,
)
from influencers.creators.models import PLATFORMS

CURRENCY = validate.Regexp(r"^[A-Z]{3}$", error="must be an ISO 4217 code in capitals, e.g. EUR")
# \x1c-\x1f and \x85 spelled out: Python's \s includes them, the OpenAPI (ECMA) pattern's \s does not.
HASHTAG = validate.Regexp(r"^#?[^\s\x1c-\x1f\x85#@]{1,100}$", error="a hashtag without spaces, e.g. #summer")
MENTION = validate.Regexp(r"^@?[A-Za-z0-9._\-]{1,100}$", error="a handle, e.g. @brand")
SOURCE = validate.Regexp(r"^[a-z_]{1,30}(:[A-Za-z0-9_\-]{1,60})?$",
                         error="a label such as 'shortlist:12' or 'optimiser:run-3'")
DECIMAL_PATTERN = r"^-?[0-9]{1,15}(\.[0-9]{1,10})?$"
NON_NEGATIVE_DECIMAL_PATTERN = r"^[0-9]{1,15}(\.[0-9]{1,10})?$"
ONE_ID = validate.Range(min=1, max=MAX_ID)
MINOR = {"description": "Integer minor units of the currency (cents for EUR, yen for JPY)"}


class DecimalText(fields.String):
    """A decimal number sent and stored as a string ("0.05"): never a binary float."""

    def __init__(self, *, signed: bool = False, **kwargs):
        pattern = DECIMAL_PATTERN if signed else NON_NEGATIVE_DECIMAL_PATTERN
        kwargs.setdefault("validate", validate.Regexp(pattern, error="a decimal number as a string, e.g. \"0.05\""))
        metadata = {"format": "decimal", **kwargs.pop("metadata", {})}
        super().__init__(metadata=metadata, **kwargs)


class DecimalOut(fields.String):
    """A ``Decimal`` written as a plain decimal string (no exponent)."""

    def __init__(self, **kwargs):
        metadata = {"format": "decimal", **kwargs.pop("metadata", {})}
        super().__init__(metadata=metadata, **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        return format(Decimal(value), "f")


def _with_sigil(values, sigil):
    return [v if v.startswith(sigil) else sigil + v for v in values]


def hashtag_list(description: str, max_items: int = 30):
    return fields.List(fields.String(validate=HASHTAG), validate=validate.Length(max=max_items),
                       metadata={"description": description})


def mention_list(description: str):
    return fields.List(fields.String(validate=MENTION), validate=validate.Length(max=30),
                       metadata={"description": description})


class TagListsBody(BodySchema):
    """A body with ``hashtags`` and/or ``mentions``: stored with their # and @ whether or not the client sent them."""

    @post_load
    def _sigils(self, data, **_kwargs):
        for name, sigil in (("hashtags", "#"), ("mentions", "@")):
            if name in data:
                data[name] = _with_sigil(data[name], sigil)
        return data


# --- campaigns -------------------------------------------------------------------------------------

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
    end_date = fields.Date(allow_none=True)
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


# --- briefs ----------------------------------------------------------------------------------------

class DisclosureSchema(TagListsBody):
    hashtags = hashtag_list("Accepted disclosure hashtags, e.g. #ad, #sponsored", max_items=20)
    paid_partnership_label = fields.Boolean(
        metadata={"description": "The platform's paid-partnership label is accepted as disclosure"})


class RequirementsSchema(TagListsBody):
    formats = fields.List(fields.String(validate=one_of(DELIVERABLE_KINDS)), validate=validate.Length(max=20))
    counts = fields.Dict(keys=fields.String(validate=one_of(DELIVERABLE_KINDS)), values=Count(),
                         metadata={"description": "How many of each format"})
    hashtags = hashtag_list("Hashtags the caption must include (default: the campaign's)")
    mentions = mention_list("Accounts the caption must mention (default: the campaign's)")
    dos = fields.List(fields.String(validate=validate.Length(min=1, max=1000)), validate=validate.Length(max=50))
    donts = fields.List(fields.String(validate=validate.Length(min=1, max=1000)), validate=validate.Length(max=50))
    disclosure = fields.Nested(DisclosureSchema)


class MilestoneSchema(BodySchema):
    milestone = fields.String(required=True, validate=validate.Length(min=1, max=200))
    date = fields.Date(required=True)

    @post_load
    def _json_safe(self, data, **_kwargs):
        return {**data, "date": data["date"].isoformat()}


class UsageRightsSchema(BodySchema):
    channels = fields.List(fields.String(validate=validate.Length(min=1, max=100)), validate=validate.Length(max=30),
                           metadata={"description": "Where the brand may reuse the content "
                                                     "(organic, paid ads, web...)"})
    duration_days = Count(metadata={"description": "How long the brand may use the content"})
    territories = fields.List(fields.String(validate=validate.Regexp(r"^[A-Z]{2}$")), validate=validate.Length(max=250))
    exclusivity_days = Count()
    whitelisting = fields.Boolean(metadata={"description": "The brand may run ads from the creator's account"})
    notes = fields.String(validate=validate.Length(max=5000))


class BriefCreateSchema(BodySchema):
    message = fields.String(required=True, validate=validate.Length(min=1, max=20000),
                            metadata={"description": "The key message and context for creators"})
    requirements = fields.Nested(RequirementsSchema, load_default=dict)
    timeline = fields.List(fields.Nested(MilestoneSchema), validate=validate.Length(max=50), load_default=list)
    usage_rights = fields.Nested(UsageRightsSchema, load_default=dict)
    change_note = fields.String(validate=validate.Length(max=500), metadata={"description": "What changed"})
    exclusivity_days = StrictInteger(allow_none=True, validate=validate.Range(min=0, max=3650), metadata={
        "description": "Adding a creator sponsored by a competitor of the campaign's brand within this many days "
                       "answers with an exclusivity warning (the brand and its competitors: /v1/brands)"})


class DisclosureOut(ma.Schema):
    hashtags = fields.List(fields.String())
    paid_partnership_label = fields.Boolean()


class RequirementsOut(ma.Schema):
    formats = fields.List(fields.String())
    counts = fields.Dict(keys=fields.String(), values=fields.Integer())
    hashtags = fields.List(fields.String())
    mentions = fields.List(fields.String())
    dos = fields.List(fields.String())
    donts = fields.List(fields.String())
    disclosure = fields.Nested(DisclosureOut)


class MilestoneOut(ma.Schema):
    milestone = fields.String(required=True)
    date = fields.String(required=True, metadata={"format": "date"})


class UsageRightsOut(ma.Schema):
    channels = fields.List(fields.String())
    duration_days = fields.Integer()
    territories = fields.List(fields.String())
    exclusivity_days = fields.Integer()
    whitelisting = fields.Boolean()
    notes = fields.String()


class BriefSchema(ma.Schema):
    campaign_id = fields.Integer(required=True)
    version = fields.Integer(required=True)
    message = fields.String(required=True)
    requirements = fields.Nested(RequirementsOut, required=True)
    timeline = fields.List(fields.Nested(MilestoneOut), required=True)
    usage_rights = fields.Nested(UsageRightsOut, required=True)
    change_note = fields.String(allow_none=True, required=True)
    exclusivity_days = fields.Integer(allow_none=True, required=True)
    created_by_key_id = fields.Integer(allow_none=True, required=True)
    created_at = fields.DateTime(required=True)


# --- creators in a campaign ------------------------------------------------------------------------

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


# --- deliverables ----------------------------------------------------------------------------------

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


# --- results and KPIs ------------------------------------------------------------------------------

# One field per metric (kpis.METRICS): counts >= 0 on input, integers on output; null means not measured.
MetricCounts = BodySchema.from_dict({name: Count(allow_none=True) for name in kpis.METRICS}, name="MetricCounts")
MetricsSchema = ma.Schema.from_dict(
    {name: fields.Integer(allow_none=True, required=True) for name in kpis.METRICS}, name="Metrics")


class ResultFields(MetricCounts):
    as_of = fields.AwareDateTime(default_timezone=None, metadata={"description": "When measured (default: now)"})
    revenue_minor = Count(allow_none=True, metadata=MINOR)
    revenue_currency = fields.String(validate=CURRENCY, metadata={"description": "Default: the campaign's"})


class ResultCreateSchema(ResultFields):
    pass


class BulkResultItemSchema(ResultFields):
    deliverable_id = StrictInteger(required=True, validate=ONE_ID)


class BulkResultsSchema(BodySchema):
    results = fields.List(fields.Nested(BulkResultItemSchema), required=True, validate=validate.Length(min=1, max=1000))


class ResultSchema(MetricsSchema):
    id = fields.Integer(required=True)
    deliverable_id = fields.Integer(required=True)
    source = fields.String(required=True, validate=one_of(RESULT_SOURCES))
    as_of = fields.DateTime(required=True)
    revenue_minor = fields.Integer(allow_none=True, required=True, metadata=MINOR)
    revenue_currency = fields.String(allow_none=True, required=True)
    created_by_key_id = fields.Integer(allow_none=True, required=True)
    created_at = fields.DateTime(required=True)


class BulkResultsOutSchema(ma.Schema):
    created = fields.Integer(required=True)
    results = fields.List(fields.Nested(ResultSchema), required=True)


KPI_DOCS = {
    "engagement_rate_by_followers": "engagements / followers_basis (ratio)",
    "engagement_rate_by_reach": "engagements / reach (ratio)",
    "ctr": "clicks / impressions (ratio)",
    "cpm": "cost / impressions x 1000 (kpi_currency, major units)",
    "cpe": "cost / engagements (kpi_currency, major units)",
    "cpc": "cost / clicks (kpi_currency, major units)",
    "cpv": "cost / views (kpi_currency, major units)",
    "cpa": "cost / conversions (kpi_currency, major units)",
    "roas": "revenue / cost (ratio)",
    "roi": "(revenue - cost) / cost (ratio)",
}


KpisSchema = ma.Schema.from_dict({
    "engagements": fields.Integer(allow_none=True, required=True,
                                  metadata={"description": "likes + comments + shares + saves"}),
    **{
        name: DecimalOut(allow_none=True, required=True,
                         metadata={"description": f"{formula}; null on division by zero"})
        for name, formula in KPI_DOCS.items()
    },
}, name="Kpis")


class EmvSchema(ma.Schema):
    amount = DecimalOut(required=True, metadata={
        "description": "Earned media value: sum of count(action) x rate(platform, action), major units"})
    currency = fields.String(required=True, metadata={"description": "The rate card's currency"})
    rate_card_version = fields.Integer(required=True)


class ProvenanceSchema(ma.Schema):
    source = fields.String(required=True, validate=one_of(RESULT_SOURCES))
    as_of = fields.DateTime(required=True)


LEVEL_DESCRIPTION = (
    "Metrics and KPIs of one level. Costs are committed fees (contracted or completed creators), a creator's fee "
    "shared equally between their deliverables. Money KPIs are in kpi_currency: the only currency involved, or "
    "the campaign currency when exchange rates cover every other one; else null (see kpis_by_currency)."
)


class LevelFields(ma.Schema):
    metrics = fields.Nested(MetricsSchema, required=True)
    followers_basis = fields.Integer(required=True, metadata={
        "description": "Sum over measured deliverables of their creator's follower count"})
    cost_by_currency = fields.List(fields.Nested(AmountSchema), required=True)
    revenue_by_currency = fields.List(fields.Nested(AmountSchema), required=True)
    kpi_currency = fields.String(allow_none=True, required=True)
    cost = DecimalOut(allow_none=True, required=True, metadata={"description": "In kpi_currency, major units"})
    revenue = DecimalOut(allow_none=True, required=True, metadata={"description": "In kpi_currency, major units"})
    kpis = fields.Nested(KpisSchema, required=True)
    emv = fields.Nested(EmvSchema, allow_none=True, required=True,
                        metadata={"description": "null when the workspace has no EMV rate card"})


class DeliverableKpisSchema(LevelFields):
    deliverable_id = fields.Integer(required=True)
    provenance = fields.Dict(keys=fields.String(), values=fields.Nested(ProvenanceSchema), required=True,
                             metadata={"description": "Per metric: its source and as-of date (latest wins)"})


class CreatorKpisSchema(LevelFields):
    campaign_creator_id = fields.Integer(required=True)
    creator_id = fields.Integer(required=True)
    handle = fields.String(required=True)
    platform = fields.String(required=True)
    followers = fields.Integer(required=True)
    status = fields.String(required=True)
    fee_minor = fields.Integer(allow_none=True, required=True, metadata=MINOR)
    currency = fields.String(required=True)
    deliverable_count = fields.Integer(required=True)
    published_count = fields.Integer(required=True)


class ReportDeliverableSchema(LevelFields):
    deliverable_id = fields.Integer(required=True)
    kind = fields.String(required=True)
    platform = fields.String(required=True)
    status = fields.String(required=True)
    due_date = fields.Date(allow_none=True, required=True)
    overdue = fields.Boolean(required=True)
    post_external_id = fields.String(allow_none=True, required=True)
    provenance = fields.Dict(keys=fields.String(), values=fields.Nested(ProvenanceSchema), required=True)


class ReportCreatorSchema(CreatorKpisSchema):
    deliverables = fields.List(fields.Nested(ReportDeliverableSchema), required=True)


class CurrencyLevelSchema(LevelFields):
    currency = fields.String(required=True, metadata={"description": "The fee currency of this group of creators"})


class TargetSchema(ma.Schema):
    kpi = fields.String(required=True)
    target = DecimalOut(required=True)
    actual = DecimalOut(allow_none=True, required=True)
    attainment = DecimalOut(allow_none=True, required=True, metadata={"description": "actual / target"})
    met = fields.Boolean(allow_none=True, required=True,
                         metadata={"description": "actual <= target for costs (cpm, cpe, cpc, cpv, cpa), else >="})


class CampaignReportSchema(ma.Schema):
    campaign_id = fields.Integer(required=True)
    name = fields.String(required=True)
    brand = fields.String(required=True)
    objective = fields.String(required=True)
    status = fields.String(required=True)
    currency = fields.String(required=True)
    generated_at = fields.DateTime(required=True)
    budget = fields.Nested(SpendSchema, required=True)
    deliverables_by_status = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    totals = fields.Nested(LevelFields, required=True, metadata={"description": LEVEL_DESCRIPTION})
    kpis_by_currency = fields.List(fields.Nested(CurrencyLevelSchema), required=True, metadata={
        "description": "When totals cannot be put in one currency: the KPIs per fee currency"})
    targets = fields.List(fields.Nested(TargetSchema), required=True)
    creators = fields.List(fields.Nested(ReportCreatorSchema), required=True)


class KpiArgs(QuerySchema):
    rate_card_version = QueryCount(validate=ONE_ID, metadata={"description": "EMV rate card version (default: latest)"})


# --- compliance ------------------------------------------------------------------------------------

class TagCheckSchema(ma.Schema):
    value = fields.String(required=True)
    present = fields.Boolean(required=True)


class DisclosureCheckSchema(ma.Schema):
    required = fields.Boolean(required=True)
    present = fields.Boolean(allow_none=True, required=True)
    accepted = fields.List(fields.String(), required=True)
    found = fields.List(fields.String(), required=True)


class ComplianceSchema(ma.Schema):
    deliverable_id = fields.Integer(required=True)
    brief_version = fields.Integer(allow_none=True, required=True)
    post_external_id = fields.String(allow_none=True, required=True)
    post_found = fields.Boolean(required=True)
    compliant = fields.Boolean(allow_none=True, required=True,
                               metadata={"description": "null until the published post is imported"})
    caption = fields.String(allow_none=True, required=True)
    hashtags = fields.List(fields.Nested(TagCheckSchema), required=True)
    mentions = fields.List(fields.Nested(TagCheckSchema), required=True)
    disclosure = fields.Nested(DisclosureCheckSchema, required=True)
    note = fields.String(allow_none=True, required=True)


# --- EMV rate cards --------------------------------------------------------------------------------

# Per platform, one rate per EMV action (kpis.EMV_ACTIONS: impression, view, like, ...).
PlatformRatesSchema = BodySchema.from_dict({action: DecimalText() for action in kpis.EMV_ACTIONS}, name="PlatformRates")
PlatformRatesOut = ma.Schema.from_dict({action: fields.String() for action in kpis.EMV_ACTIONS},
                                       name="PlatformRatesOut")


class RateCardCreateSchema(BodySchema):
    currency = fields.String(required=True, validate=CURRENCY)
    rates = fields.Dict(keys=fields.String(validate=one_of(PLATFORMS)), values=fields.Nested(PlatformRatesSchema),
                        required=True, metadata={"description": "Per platform, the value of one action in major "
                                                                "units of currency: "
                                                                "{\"instagram\": {\"like\": \"0.10\"}}"})
    note = fields.String(validate=validate.Length(max=500))


class RateCardSchema(ma.Schema):
    version = fields.Integer(required=True)
    currency = fields.String(required=True)
    rates = fields.Dict(keys=fields.String(), values=fields.Nested(PlatformRatesOut), required=True)
    note = fields.String(allow_none=True, required=True)
    created_by_key_id = fields.Integer(allow_none=True, required=True)
    created_at = fields.DateTime(required=True)


