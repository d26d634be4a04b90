"""Results, KPIs, the campaign report and the disclosure compliance check."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from influencers.api.campaigns.schemas.campaigns import AmountSchema, SpendSchema
from influencers.api.campaigns.schemas.fields import CURRENCY, MINOR, ONE_ID, DecimalOut
from influencers.api.schemas import BodySchema, Count, QueryCount, QuerySchema, StrictInteger, one_of
from influencers.campaigns import kpis
from influencers.campaigns.models import RESULT_SOURCES

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


