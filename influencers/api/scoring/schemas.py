"""Scoring runs, jobs, creator scores with explanations, discovery search and lookalikes."""
from __future__ import annotations

import re

import marshmallow as ma
from marshmallow import fields, validate

from influencers.api.brands.filters import BrandDiscoveryArgs
from influencers.api.brands.schemas import BrandHistorySchema
from influencers.api.contract import FreeForm
from influencers.api.creators.schemas import CreatorListArgs, CreatorSchema
from influencers.api.schemas import QueryCount, QuerySchema, one_of
from influencers.api.scoring.explanation_schemas import ScoreExplanationSchema, StoredJson
from influencers.creators.models import AGE_RANGES, GENDERS
from influencers.discovery import SORTABLE
from influencers.jobs.models import JOB_STATUSES
from influencers.scoring.attributes import AUDIENCE_DIMENSIONS, attribute_code
from influencers.scoring.model import FLAGS


class JobSchema(ma.Schema):
    id = fields.Integer(required=True)
    kind = fields.String(required=True)
    status = fields.String(required=True, validate=one_of(JOB_STATUSES))
    progress = fields.Float(required=True, metadata={"description": "0 to 1"})
    params = FreeForm(required=True, metadata={
        "description": "What the job was started with; its keys depend on the job's kind"})
    result = FreeForm(allow_none=True, required=True, metadata={
        "description": "What the job produced (null until it succeeds); its keys depend on the job's kind, "
                       "e.g. a scoring run's id and creators scored"})
    error = fields.String(allow_none=True, required=True)
    created_at = fields.DateTime(required=True)
    started_at = fields.DateTime(allow_none=True, required=True)
    finished_at = fields.DateTime(allow_none=True, required=True)


class ScoringRunSchema(ma.Schema):
    id = fields.Integer(required=True)
    status = fields.String(required=True, validate=one_of(JOB_STATUSES))
    model_version = fields.String(required=True)
    job_id = fields.Integer(allow_none=True, required=True)
    creators_scored = fields.Integer(required=True)
    error = fields.String(allow_none=True, required=True)
    timings = FreeForm(allow_none=True, required=True, json_schema={
        "type": "object", "additionalProperties": {"oneOf": [{"type": "number"}, {"type": "boolean"}]}}, metadata={
        "description": "Seconds spent per stage (`*_seconds`: reading, computing, writing; `audience_*`: the audience "
                       "pass, in a worker process when `audience_worker` is true)"})
    superseded = fields.Boolean(required=True, metadata={"description": (
        "A newer run of the workspace had already succeeded when this one finished: its scores are kept as "
        "history and are not the current ones")})
    created_at = fields.DateTime(required=True)
    started_at = fields.DateTime(allow_none=True, required=True)
    finished_at = fields.DateTime(allow_none=True, required=True)


class ScoreSummarySchema(ma.Schema):
    """The numbers a listing shows; all estimated by the model version named, as of ``as_of``."""

    score = fields.Float(required=True, metadata={"description": "Composite 0-100 (estimated)"})
    authenticity = fields.Float(required=True, metadata={"description": "0-100, higher is more genuine (estimated)"})
    fake_follower_share = fields.Float(allow_none=True, required=True,
                                       metadata={"description": "0-1, estimated from the audience sample"})
    fake_follower_share_interval = fields.List(fields.Float(allow_none=True), allow_none=True, required=True,
                                               metadata={"description": "95% Wilson interval of the fake follower "
                                                                        "share, from the sample size"})
    reachable_share = fields.Float(allow_none=True, required=True, metadata={
        "description": "0-1, measured in the audience sample: members following fewer accounts than the "
                       "model's mass-follower threshold (1,500 by default)"})
    engagement_rate = fields.Float(allow_none=True, required=True, metadata={
        "description": "Measured: median (likes+comments)/followers over recent posts"})
    engagement_rate_views = fields.Float(allow_none=True, required=True, metadata={
        "description": "Measured: median (likes+comments)/views over recent posts, where the platform reports views"})
    estimated_reach = fields.Integer(allow_none=True, required=True,
                                     metadata={"description": "Estimated authentic reach per post"})
    flags = fields.List(fields.String(validate=one_of(FLAGS)), required=True)
    confidence = fields.Float(allow_none=True, required=True, metadata={
        "description": "0-1, how much data stood behind the score: 0.5 x min(sample size / 100, 1) + 0.3 x "
                       "min(posts used / 12, 1) + 0.2 x min(snapshots / 30, 1)"})
    sample_size = fields.Integer(required=True, metadata={"description": "Audience sample size behind the shares"})
    as_of = fields.Date(allow_none=True, required=True, metadata={"description": "Date of the newest data used"})
    model_version = fields.String(required=True, metadata={"description": "The scoring model version that computed it"})
    run_id = fields.Integer(required=True, metadata={"description": "The scoring run that stored it"})


class GrowthSchema(ma.Schema):
    growth_30d = fields.Float(allow_none=True, required=True)
    snapshots_30d = fields.Integer(required=True, metadata={"description": "Snapshots the 30-day growth rests on"})
    growth_90d = fields.Float(allow_none=True, required=True)
    snapshots_90d = fields.Integer(required=True, metadata={"description": "Snapshots the 90-day growth rests on"})
    as_of = fields.Date(allow_none=True, required=True)
    basis = fields.String(required=True)


class ScoredCreatorSchema(CreatorSchema):
    score = fields.Nested(ScoreSummarySchema, required=True)
    growth = fields.Nested(GrowthSchema, metadata={"description": "Follower growth (in discovery results)"})


class ScoreContextSchema(ma.Schema):
    note = fields.String(required=True)
    brand_history = fields.Nested(BrandHistorySchema, required=True)


class CreatorScoreSchema(ma.Schema):
    creator_id = fields.Integer(required=True)
    summary = fields.Nested(ScoreSummarySchema, required=True)
    explanation = StoredJson(ScoreExplanationSchema, required=True, metadata={
        "description": "Every component's value, weight and contribution; flags with evidence; audience, "
                       "engagement and reach inputs labelled measured or estimated; sample size; as-of date; "
                       "model version"})
    context = fields.Nested(ScoreContextSchema, metadata={
        "description": "Not part of the score: the creator's brand history (brands mentioned, sponsored or organic)"})


class ScoreHistoryItemSchema(ScoreSummarySchema):
    is_current = fields.Boolean(required=True)


AUDIENCE_HELP = (
    "Audience composition: `dimension:value:min_share`, repeatable, e.g. `country:FR:0.3`, "
    "`age_range:18-24:0.4`, `gender:female:0.5` (share of the latest audience sample)"
)
# What a value must be (the import's rules: influencers.scoring.attributes codes exactly these).
VALUE_RULES = {
    "country": "an ISO 3166-1 alpha-2 code, e.g. FR",
    "language": "an ISO 639-1 code, e.g. fr",
    "gender": f"one of {', '.join(GENDERS)}",
    "age_range": f"one of {', '.join(AGE_RANGES)}",
}


# What the document promises (and the field enforces first), so clients and generators can
# build valid conditions: a share is 0 to 1 in plain decimal notation.
AUDIENCE_CONDITION_PATTERN = (
    r"^(country:[A-Za-z]{2}|language:[A-Za-z]{2}|gender:(" + "|".join(GENDERS) + ")|age_range:("
    + "|".join(age.replace("+", r"\+") for age in AGE_RANGES) + r")):(0(\.[0-9]+)?|1(\.0+)?|\.[0-9]+)$"
)


class AudienceConditionField(fields.String):
    def __init__(self, **kwargs):
        super().__init__(metadata={"pattern": AUDIENCE_CONDITION_PATTERN}, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if not re.fullmatch(AUDIENCE_CONDITION_PATTERN, text):
            raise ma.ValidationError("use dimension:value:min_share, e.g. country:FR:0.3 (see the pattern)")
        parts = text.rsplit(":", 1)
        head = parts[0].split(":", 1) if len(parts) == 2 else []
        if len(head) != 2:
            raise ma.ValidationError("use dimension:value:min_share, e.g. country:FR:0.3")
        dimension, value_ = head
        if dimension not in AUDIENCE_DIMENSIONS:
            raise ma.ValidationError(f"dimension must be one of {', '.join(AUDIENCE_DIMENSIONS)}")
        try:
            share = float(parts[1])
        except ValueError:
            raise ma.ValidationError("min_share must be a number between 0 and 1") from None
        if not 0 <= share <= 1:
            raise ma.ValidationError("min_share must be a number between 0 and 1")
        # Codes are case-insensitive to ask for, stored in one case.
        value_ = {"country": value_.upper(), "language": value_.lower()}.get(dimension, value_)
        if attribute_code(dimension, value_) is None:
            raise ma.ValidationError(f"{dimension} must be {VALUE_RULES[dimension]}")
        return {"dimension": dimension, "value": value_, "min_share": share}


DISCOVERY_SORTS = [name for column in SORTABLE for name in (column, f"-{column}")]


def _share(**kw):
    return fields.Float(validate=validate.Range(min=0, max=1), **kw)


class DiscoveryArgs(BrandDiscoveryArgs, CreatorListArgs):
    min_engagement_rate = _share()
    max_engagement_rate = _share()
    min_authenticity = fields.Float(validate=validate.Range(min=0, max=100))
    min_score = fields.Float(validate=validate.Range(min=0, max=100))
    max_fake_follower_share = _share()
    flag = fields.List(fields.String(validate=one_of(FLAGS)), metadata={"description": "Flags that must be present"})
    without_flag = fields.List(fields.String(validate=one_of(FLAGS)),
                               metadata={"description": "Flags that must be absent"})
    audience = fields.List(AudienceConditionField(), metadata={"description": AUDIENCE_HELP})
    sort = fields.String(load_default="-score", validate=one_of(DISCOVERY_SORTS),
                         metadata={"description": "A field name; prefix with '-' for descending"})


class LookalikeArgs(QuerySchema):
    limit = QueryCount(load_default=10, validate=validate.Range(min=1, max=100))
    same_platform = fields.Boolean(load_default=True)


class LookalikeSchema(ma.Schema):
    creator = fields.Nested(ScoredCreatorSchema, required=True)
    similarity = fields.Float(required=True, metadata={"description": "Cosine similarity of standardised features and "
                                                                      "audience composition (estimated)"})


class LookalikesSchema(ma.Schema):
    creator_id = fields.Integer(required=True)
    features = fields.List(fields.String(), required=True)
    lookalikes = fields.List(fields.Nested(LookalikeSchema), required=True)


class ScoringModelSchema(ma.Schema):
    id = fields.Integer(required=True)
    version = fields.String(required=True)
    description = fields.String(allow_none=True, required=True)
    source = fields.String(required=True)
    parameters = FreeForm(required=True, metadata={"description": (
        "The model's parameters as stored with its version (weights, thresholds, reach rates, flag penalties); "
        "their set grows with model versions, so the object is free-form")})
    is_active = fields.Boolean(required=True)
    created_at = fields.DateTime(required=True)
    activated_at = fields.DateTime(allow_none=True, required=True)
