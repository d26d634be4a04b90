"""Brand resources: brands, their audit trail, mentions, time series, share of voice, brand history."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from influencers.api.campaigns.schemas import ONE_ID
from influencers.api.contract import FreeForm
from influencers.api.schemas import BodySchema, Pattern, QueryCount, QuerySchema, StrictInteger, one_of
from influencers.brands.charts import FORMATS, METRICS
from influencers.creators.models import PLATFORMS

NAME = validate.Length(min=1, max=200)
HANDLE = Pattern(r"^@?[A-Za-z0-9._\-]{1,100}$", error="letters, digits, '.', '_' or '-', up to 100")
HASHTAG = Pattern(r"^#?\w{1,100}$", error="a hashtag: letters, digits or '_', up to 100")
TERM = Pattern(r"^(?=.*\w).{1,200}$", error="a word or phrase of up to 200 characters")
MAX_TERMS = 200


def _terms(rule, description):
    return fields.List(fields.String(validate=rule), validate=validate.Length(max=MAX_TERMS),
                       metadata={"description": description})


class HandlesField(fields.Dict):
    def __init__(self, **kwargs):
        super().__init__(keys=fields.String(validate=one_of(PLATFORMS)),
                         values=fields.List(fields.String(validate=HANDLE), validate=validate.Length(max=MAX_TERMS)),
                         **kwargs)


class BrandRulesFields(BodySchema):
    handles = HandlesField(metadata={"description": "Handles per platform, e.g. {\"instagram\": [\"acme\"]}: "
                                                    "an @-mention on a post of that platform matches"})
    hashtags = _terms(HASHTAG, "Hashtags (with or without '#'), from the post's hashtags or its caption")
    keywords = _terms(TERM, "Words or phrases found in captions as whole words, case- and accent-insensitively")
    exclude_keywords = _terms(TERM, "A caption containing one of these is not matched by keyword or hashtag "
                                    "(an @-mention of a handle still matches)")
    competitor_ids = fields.List(StrictInteger(validate=ONE_ID), validate=validate.Length(max=50),
                                 metadata={"description": "Brands of this workspace this brand competes with"})


class BrandCreateSchema(BrandRulesFields):
    name = fields.String(required=True, validate=NAME)


class BrandUpdateSchema(BrandRulesFields):
    name = fields.String(validate=NAME)


class BrandRefSchema(ma.Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)


class BrandSchema(ma.Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    handles = fields.Dict(keys=fields.String(), values=fields.List(fields.String()), required=True,
                          metadata={"description": "Handles per platform, e.g. {\"instagram\": [\"acme\"]}"})
    hashtags = fields.List(fields.String(), required=True)
    keywords = fields.List(fields.String(), required=True)
    exclude_keywords = fields.List(fields.String(), required=True)
    competitors = fields.List(fields.Nested(BrandRefSchema), required=True)
    rules_version = fields.Integer(required=True)
    matched_rules_version = fields.Integer(required=True, metadata={
        "description": "The rules version the stored mentions reflect (behind rules_version while matching runs)"})
    match_job_id = fields.Integer(allow_none=True, required=True, metadata={
        "description": "The latest re-matching job: GET /v1/jobs/{id} for its progress"})
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)
    version = fields.Integer(required=True)


class BrandListArgs(QuerySchema):
    q = fields.String(validate=validate.Length(min=1, max=200), metadata={"description": "Part of the name"})


class BrandAuditEventSchema(ma.Schema):
    id = fields.Integer(required=True)
    action = fields.String(required=True)
    changes = FreeForm(required=True, metadata={
        "description": "The fields the action set, by name, with their new values (as sent)"})
    key_id = fields.Integer(allow_none=True, required=True)
    at = fields.DateTime(required=True)


class PeriodArgs(QuerySchema):
    since = fields.Date(metadata={"description": "First day (UTC), default: 90 days before until"})
    until = fields.Date(metadata={"description": "Day after the last (UTC, exclusive), default: tomorrow"})
    platform = fields.String(validate=one_of(PLATFORMS))
    sponsored = fields.Boolean(metadata={"description": "true: sponsored posts only; false: organic only"})

    @ma.validates_schema
    def _order(self, data, **_kwargs):
        if data.get("since") and data.get("until") and data["until"] <= data["since"]:
            raise ma.ValidationError("must be after since", field_name="until")


class MentionArgs(PeriodArgs):
    creator_id = StrictInteger(strict=False, validate=ONE_ID)


class TimeSeriesArgs(MentionArgs):
    interval = fields.String(load_default="day", validate=one_of(["day", "week"]),
                             metadata={"description": "day, or week (ISO weeks, starting on Monday)"})


class ChartArgs(PeriodArgs):
    format = fields.String(load_default="svg", validate=one_of(list(FORMATS)))
    metric = fields.String(load_default="posts", validate=one_of(list(METRICS)))


class MentionPostSchema(ma.Schema):
    id = fields.Integer(required=True)
    external_id = fields.String(required=True)
    kind = fields.String(allow_none=True, required=True)
    caption = fields.String(allow_none=True, required=True)


class MentionCreatorSchema(ma.Schema):
    id = fields.Integer(required=True)
    platform = fields.String(required=True)
    handle = fields.String(required=True)
    followers = fields.Integer(required=True)


class MentionSchema(ma.Schema):
    brand_id = fields.Integer(required=True)
    published_at = fields.DateTime(required=True)
    platform = fields.String(required=True)
    matched_by = fields.String(required=True, validate=one_of(["handle", "hashtag", "keyword"]))
    matched_term = fields.String(required=True)
    sponsored = fields.Boolean(required=True)
    likes = fields.Integer(required=True, metadata={"description": "Measured, as imported"})
    comments = fields.Integer(required=True, metadata={"description": "Measured, as imported"})
    engagements = fields.Integer(required=True, metadata={"description": "Measured: likes + comments"})
    estimated_reach = fields.Integer(allow_none=True, required=True, metadata={
        "description": "Estimated: the creator's current authentic reach per post (null: not scored)"})
    reach_as_of = fields.Date(allow_none=True, required=True)
    post = fields.Nested(MentionPostSchema, required=True)
    creator = fields.Nested(MentionCreatorSchema, required=True)


class PointSchema(ma.Schema):
    period_start = fields.String(required=True)
    posts = fields.Integer(required=True)
    engagements = fields.Integer(required=True)
    estimated_reach = fields.Integer(required=True)


class PeriodFields(ma.Schema):
    since = fields.String(required=True)
    until = fields.String(required=True)
    until_is = fields.String(required=True)
    definitions = fields.Dict(keys=fields.String(), values=fields.String(), required=True,
                              metadata={"description": "What each figure means and whether it is measured "
                                                       "or estimated"})


class TimeSeriesSchema(PeriodFields):
    brand_id = fields.Integer(required=True)
    interval = fields.String(required=True)
    points = fields.List(fields.Nested(PointSchema), required=True)


class ShareRowSchema(ma.Schema):
    brand_id = fields.Integer(required=True)
    name = fields.String(required=True)
    posts = fields.Integer(required=True)
    creators = fields.Integer(required=True)
    sponsored_posts = fields.Integer(required=True)
    engagements = fields.Integer(required=True)
    estimated_reach = fields.Integer(required=True)
    unscored_posts = fields.Integer(required=True)
    share_of_posts = fields.Float(allow_none=True, required=True)
    share_of_engagements = fields.Float(allow_none=True, required=True)
    share_of_estimated_reach = fields.Float(allow_none=True, required=True)


class ShareOfVoiceSchema(PeriodFields):
    brand_id = fields.Integer(required=True)
    name = fields.String(required=True)
    platform = fields.String(allow_none=True, required=True)
    sponsored = fields.Boolean(allow_none=True, required=True)
    brands = fields.List(fields.Nested(ShareRowSchema), required=True)
    totals = fields.Dict(keys=fields.String(), values=fields.Float(), required=True,
                         metadata={"description": "Sums over the group: posts, engagements, estimated_reach"})


class HistoryPostSchema(ma.Schema):
    post_id = fields.Integer(required=True)
    external_id = fields.String(required=True)
    platform = fields.String(required=True)
    published_at = fields.DateTime(required=True)
    sponsored = fields.Boolean(required=True)
    matched_by = fields.String(required=True)
    matched_term = fields.String(required=True)


class BrandHistoryRowSchema(ma.Schema):
    brand_id = fields.Integer(required=True)
    name = fields.String(required=True)
    posts = fields.Integer(required=True)
    sponsored_posts = fields.Integer(required=True)
    organic_posts = fields.Integer(required=True)
    first_at = fields.DateTime(required=True)
    last_at = fields.DateTime(required=True)
    last_sponsored_at = fields.DateTime(allow_none=True, required=True)
    recent_posts = fields.List(fields.Nested(HistoryPostSchema), required=True)


class BrandHistorySchema(ma.Schema):
    creator_id = fields.Integer(required=True)
    basis = fields.String(required=True)
    brands = fields.List(fields.Nested(BrandHistoryRowSchema), required=True)


__all__ = ["QueryCount"]


class BrandFileItemSchema(BodySchema):
    """One brand of ``influencers brands import``'s file: competitors by name."""

    name = fields.String(required=True, validate=NAME)
    handles = HandlesField()
    hashtags = _terms(HASHTAG, "Hashtags")
    keywords = _terms(TERM, "Keywords")
    exclude_keywords = _terms(TERM, "Excluded words")
    competitors = fields.List(fields.String(validate=NAME), validate=validate.Length(max=50))
