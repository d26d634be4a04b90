"""Saved shortlists, overlap reports and the shortlist optimiser."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from influencers.api.campaigns.schemas import CURRENCY, MINOR, ONE_ID
from influencers.api.creators.schemas import COUNTRY
from influencers.api.schemas import BodySchema, Count, Pattern, QuerySchema, StrictInteger, one_of
from influencers.api.scoring.schemas import DiscoveryArgs
from influencers.creators.models import AGE_RANGES, GENDERS, PLATFORMS
from influencers.shortlists.service import MAX_ENTRIES

MAX_REPORT_CREATORS = 500
MAX_CANDIDATES = 2000
NAME = validate.Length(min=1, max=200)
NOTE = validate.Length(max=5000)


def _ids(**kwargs):
    return fields.List(StrictInteger(validate=ONE_ID), **kwargs)


# --- shortlists ----------------------------------------------------------------------------------

class ShortlistEntryInSchema(BodySchema):
    creator_id = StrictInteger(required=True, validate=ONE_ID)
    note = fields.String(allow_none=True, validate=NOTE)


class ShortlistEntriesBody(BodySchema):
    creator_ids = _ids(validate=validate.Length(min=1, max=MAX_ENTRIES), metadata={"description": "Creators to add"})
    creators = fields.List(fields.Nested(ShortlistEntryInSchema), validate=validate.Length(min=1, max=MAX_ENTRIES),
                           metadata={"description": "Or: creators with a note each"})

    @ma.validates_schema
    def _exactly_one(self, data, **_kwargs):
        if ("creator_ids" in data) == ("creators" in data):
            raise ma.ValidationError("give either creator_ids or creators", field_name="creator_ids")


class ShortlistCreateSchema(BodySchema):
    name = fields.String(required=True, validate=NAME)
    notes = fields.String(allow_none=True, validate=NOTE)
    creator_ids = _ids(validate=validate.Length(max=MAX_ENTRIES))
    creators = fields.List(fields.Nested(ShortlistEntryInSchema), validate=validate.Length(max=MAX_ENTRIES))

    @ma.validates_schema
    def _at_most_one(self, data, **_kwargs):
        if "creator_ids" in data and "creators" in data:
            raise ma.ValidationError("give creator_ids or creators, not both", field_name="creator_ids")


class ShortlistUpdateSchema(BodySchema):
    name = fields.String(validate=NAME)
    notes = fields.String(allow_none=True, validate=NOTE)


class ShortlistEntrySchema(ma.Schema):
    creator_id = fields.Integer(required=True)
    platform = fields.String(required=True)
    handle = fields.String(required=True)
    note = fields.String(allow_none=True, required=True)
    added_at = fields.DateTime(required=True)


class ShortlistSchema(ma.Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    notes = fields.String(allow_none=True, required=True)
    creator_count = fields.Integer(required=True)
    entries = fields.List(fields.Nested(ShortlistEntrySchema), required=True,
                          metadata={"description": "In the order they were added"})
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)
    version = fields.Integer(required=True, metadata={"description": "Row version; the ETag is derived from it"})


# --- target audience and overlap -----------------------------------------------------------------

class AudienceTargetFields(ma.Schema):
    country = fields.List(fields.String(validate=COUNTRY), validate=validate.Length(max=50),
                          metadata={"description": "Count only members in one of these countries"})
    age_range = fields.List(fields.String(validate=one_of(AGE_RANGES)), validate=validate.Length(max=len(AGE_RANGES)))
    gender = fields.List(fields.String(validate=one_of(GENDERS)), validate=validate.Length(max=len(GENDERS)))


class AudienceTargetSchema(AudienceTargetFields, BodySchema):
    pass


class TargetAudienceSchema(AudienceTargetFields):
    """The target audience a report counted (as asked)."""


def _target_answered():
    return fields.Nested(TargetAudienceSchema, allow_none=True, required=True,
                         metadata={"description": "The target audience counted; null: the whole audience"})


OVERLAP_METHODS = ["exact", "sketch"]
METHOD_DESCRIPTION = ("exact (default): measured on the latest samples. sketch: estimated from the stored theta "
                      "sketches a scoring run builds (409 when a creator's latest sample has no sketch yet, or "
                      "when sketches of different seeds would be combined); no target audience.")


def _method():
    return fields.String(load_default="exact", validate=one_of(OVERLAP_METHODS),
                         metadata={"description": METHOD_DESCRIPTION})


def _no_target_with_sketch(data, field_name):
    if data.get("method") == "sketch" and any(data.get(name) for name in ("country", "age_range", "gender", "target")):
        raise ma.ValidationError("a target audience needs method=exact (sketches hold whole samples)", field_name)


class OverlapTargetArgs(AudienceTargetFields, QuerySchema):
    """The target audience of a shortlist's overlap report (repeat a parameter for several values)."""

    method = _method()

    @ma.validates_schema
    def _check_method(self, data, **kwargs):
        _no_target_with_sketch(data, "method")


class OverlapReportRequest(BodySchema):
    creator_ids = _ids(required=True, validate=validate.Length(min=1, max=MAX_REPORT_CREATORS),
                       metadata={"description": "Creators of one platform (422 otherwise)"})
    target = fields.Nested(AudienceTargetSchema,
                           metadata={"description": "Count only members matching the target audience"})
    method = _method()

    @ma.validates_schema
    def _check_method(self, data, **kwargs):
        _no_target_with_sketch(data, "target")


class OverlapCreatorSchema(ma.Schema):
    creator_id = fields.Integer(required=True)
    handle = fields.String(required=True)
    sampled_at = fields.String(allow_none=True, required=True, metadata={"description": "As-of: latest sample date"})
    sample_size = fields.Integer(required=True, metadata={"description": "Measured: members in the latest sample"})
    bot_like_members = fields.Integer(required=True,
                                      metadata={"description": "Measured: sampled members classified bot-like"})
    counted_sample_size = fields.Integer(required=True,
                                         metadata={"description": "Measured: authentic sampled members in the target"})
    unique_members = fields.Integer(required=True,
                                    metadata={"description": "Measured: counted members in no other creator's sample"})
    unique_share = fields.Float(required=True,
                                metadata={"description": "Measured: unique_members / counted_sample_size"})
    overlapping_share = fields.Float(required=True, metadata={"description": "Measured: 1 - unique_share"})
    followers = fields.Float(required=True, metadata={"description": "Measured: follower count as imported"})
    fake_share = fields.Float(required=True,
                              metadata={"description": "Fake follower share used (see fake_share_source)"})
    fake_share_source = fields.String(required=True, validate=one_of(["score", "sample", "none"]))
    score_as_of = fields.String(allow_none=True, required=True)
    authentic_followers = fields.Float(required=True,
                                       metadata={"description": "Estimated: followers x (1 - fake_share)"})
    member_weight = fields.Float(required=True, metadata={"description": "Estimated: real followers one counted "
                                                                         "sampled member stands for"})
    reach = fields.Float(required=True, metadata={"description": "Estimated: authentic (target) audience in followers"})
    exclusive_reach = fields.Float(required=True,
                                   metadata={"description": "Estimated: reach no other creator in the set has"})
    follower_reach = fields.Float(required=True,
                                  metadata={"description": "Estimated: (target) audience in follower counts"})


class OverlapPairwiseSchema(ma.Schema):
    creator_ids = fields.List(fields.Integer(), required=True, metadata={"description": "Row and column order"})
    shared = fields.List(fields.List(fields.Integer()), required=True,
                         metadata={"description": "Measured: counted members in both samples (diagonal: sample size)"})
    jaccard = fields.List(fields.List(fields.Float()), required=True,
                          metadata={"description": "Measured: |A and B| / |A or B|"})
    containment = fields.List(fields.List(fields.Float()), required=True,
                              metadata={"description": "Measured: row A, column B = share of A's audience that B also "
                                                       "reaches"})


class UniqueReachSchema(ma.Schema):
    scaling = fields.String(required=True, validate=one_of(["authentic", "followers"]))
    unique_reach = fields.Float(required=True, metadata={"description": "Estimated: people reached at least once"})
    ci_low = fields.Float(required=True)
    ci_high = fields.Float(required=True)
    std_error = fields.Float(required=True)
    total_audience = fields.Float(required=True, metadata={"description": "Estimated: sum of the creators' audiences"})
    duplication_factor = fields.Float(allow_none=True, required=True,
                                      metadata={"description": "total_audience / unique_reach"})
    confidence = fields.Float(required=True)
    n_boot = fields.Integer(required=True)
    seed = fields.Integer(allow_none=True, required=True)
    base_sample_sizes = fields.List(fields.Integer(), required=True)
    counted_sample_sizes = fields.List(fields.Integer(), required=True)
    distinct_counted_members = fields.Integer(required=True)


class OverlapSetSchema(ma.Schema):
    creators = fields.Integer(required=True)
    distinct_sampled_members = fields.Integer(required=True,
                                              metadata={"description": "Measured: counted members in the union"})
    sample_duplication_factor = fields.Float(allow_none=True, required=True,
                                             metadata={"description": "Measured: counted sample sizes / distinct "
                                                                      "members"})
    authentic = fields.Nested(UniqueReachSchema, required=True,
                              metadata={"description": "Unique reach in authentic followers"})
    followers = fields.Nested(UniqueReachSchema, required=True,
                              metadata={"description": "Unique reach in follower counts"})


class SketchEstimateSchema(ma.Schema):
    estimate = fields.Float(required=True, metadata={"description": "Estimated"})
    lower = fields.Float(required=True, metadata={"description": "Lower bound at num_std_devs standard deviations"})
    upper = fields.Float(required=True, metadata={"description": "Upper bound at num_std_devs standard deviations"})
    num_std_devs = fields.Integer(required=True)
    exact = fields.Boolean(required=True,
                           metadata={"description": "True when the sketches held every member (bounds = estimate)"})


class SketchCreatorSchema(ma.Schema):
    creator_id = fields.Integer(required=True)
    handle = fields.String(required=True)
    sample_id = fields.Integer(allow_none=True, required=True)
    sampled_at = fields.String(allow_none=True, required=True,
                               metadata={"description": "As-of: the sketched sample's date"})
    sketch_created_at = fields.String(allow_none=True, required=True)
    counted_sample_size = fields.Integer(required=True,
                                         metadata={"description": "Measured: counted (authentic) members sketched"})
    sketch_retained = fields.Integer(required=True, metadata={"description": "Hashes the sketch retains"})
    sketch_exact = fields.Boolean(required=True)
    counted_members = fields.Nested(SketchEstimateSchema, required=True)
    unique_members = fields.Nested(SketchEstimateSchema, required=True,
                                   metadata={"description": "Estimated: members in no other creator's sketch"})
    unique_share = fields.Float(required=True, metadata={"description": "Estimated"})
    followers = fields.Float(required=True, metadata={"description": "Measured: follower count as imported"})
    fake_share = fields.Float(required=True)
    fake_share_source = fields.String(required=True, validate=one_of(["score", "none"]))
    member_weight = fields.Float(required=True,
                                 metadata={"description": "Estimated: followers x (1 - fake_share) / counted members"})
    exclusive_reach = fields.Nested(SketchEstimateSchema, required=True,
                                    metadata={"description": "Estimated: unique_members x member_weight"})


class SketchPairwiseSchema(ma.Schema):
    creator_ids = fields.List(fields.Integer(), required=True, metadata={"description": "Row and column order"})
    shared = fields.List(fields.List(fields.Float()), required=True,
                         metadata={"description": "Estimated: |A and B| (diagonal: |A|)"})
    shared_lower = fields.List(fields.List(fields.Float()), required=True)
    shared_upper = fields.List(fields.List(fields.Float()), required=True)
    jaccard = fields.List(fields.List(fields.Float()), required=True, metadata={"description": "Estimated"})
    containment = fields.List(fields.List(fields.Float()), required=True,
                              metadata={"description": "Estimated: row A, column B = share of A's members B also has"})


class SketchSetSchema(ma.Schema):
    creators = fields.Integer(required=True)
    distinct_counted_members = fields.Nested(SketchEstimateSchema, required=True,
                                             metadata={"description": "Estimated: the union"})
    unique_reach = fields.Nested(SketchEstimateSchema, required=True,
                                 metadata={"description": "Estimated: authentic people reached at least once"})
    total_audience = fields.Float(required=True, metadata={"description": "Sum of the creators' authentic audiences"})
    duplication_factor = fields.Float(allow_none=True, required=True)
    counted_sample_sizes = fields.List(fields.Integer(), required=True)


class SketchReportSchema(ma.Schema):
    lg_k = fields.Integer(required=True)
    seed = fields.Integer(required=True)
    sketch_format_version = fields.Integer(required=True)
    relative_standard_error = fields.Float(required=True,
                                           metadata={"description": "About 1 / sqrt(2^lg_k) in estimation mode"})
    num_std_devs = fields.Integer(required=True)
    exact = fields.Boolean(required=True, metadata={"description": "Every sketch held all its members"})
    creators = fields.List(fields.Nested(SketchCreatorSchema), required=True)
    pairwise = fields.Nested(SketchPairwiseSchema, required=True)
    set = fields.Nested(SketchSetSchema, required=True)


class OverlapReportSchema(ma.Schema):
    estimation = fields.String(required=True, validate=one_of(OVERLAP_METHODS),
                               metadata={"description": "exact: creators, pairwise and set are given; "
                                                        "sketch: sketch is"})
    platform = fields.String(allow_none=True, required=True)
    as_of = fields.String(allow_none=True, required=True,
                          metadata={"description": "Latest sample date behind the report"})
    target = _target_answered()
    authenticity_model_version = fields.String(metadata={"description": "method=exact"})
    creators = fields.List(fields.Nested(OverlapCreatorSchema), metadata={"description": "method=exact"})
    pairwise = fields.Nested(OverlapPairwiseSchema, metadata={"description": "method=exact"})
    set = fields.Nested(OverlapSetSchema, metadata={"description": "method=exact"})
    sketch = fields.Nested(SketchReportSchema, metadata={"description": "method=sketch: every number estimated"})
    labels = fields.Dict(keys=fields.String(), values=fields.List(fields.String()), required=True,
                         metadata={"description": "Which numbers are measured on the samples and which are estimated"})
    fake_share_sources = fields.Dict(keys=fields.String(), values=fields.String(), required=True)
    method = fields.String(required=True)
    notes = fields.List(fields.String(), required=True)
    shortlist_id = fields.Integer(metadata={"description": "When the report is a shortlist's"})


# --- optimiser -----------------------------------------------------------------------------------

class OptimiserSearchSchema(DiscoveryArgs):
    """A discovery search (the filters of GET /v1/discovery/creators) whose results are the candidates."""

    limit = Count(load_default=500, validate=validate.Range(min=1, max=MAX_CANDIDATES),
                  metadata={"description": "At most this many candidates, in the search's sort order"})


class OptimisationRequest(BodySchema):
    creator_ids = _ids(validate=validate.Length(min=1, max=MAX_CANDIDATES),
                       metadata={"description": "Candidates (one platform)"})
    search = fields.Nested(OptimiserSearchSchema,
                           metadata={"description": "Or: the candidates a discovery search finds"})
    platform = fields.String(validate=one_of(PLATFORMS),
                             metadata={"description": "Required with search unless its filters fix it"})
    k = StrictInteger(validate=validate.Range(min=1, max=MAX_ENTRIES),
                      metadata={"description": "Choose at most k creators"})
    budget_minor = Count(metadata=MINOR)
    currency = fields.String(validate=CURRENCY, metadata={"description": "The currency of the budget and fees "
                                                                     "(required with a budget)"})
    fees = fields.Dict(keys=fields.String(validate=Pattern(r"^[1-9][0-9]{0,18}$", error="a creator id")),
                       values=Count(), metadata={"description": "Fee per creator id, in minor units (a budget needs "
                                                       "fees or default_fee_minor)"})
    default_fee_minor = Count(metadata={"description": "Fee of candidates not in fees (minor units)"})
    target = fields.Nested(AudienceTargetSchema)
    must_keep = _ids(load_default=list, validate=validate.Length(max=MAX_ENTRIES))
    exclude = _ids(load_default=list, validate=validate.Length(max=MAX_CANDIDATES))
    save_as = fields.String(validate=NAME,
                            metadata={"description": "Save the chosen creators as a shortlist of this name"})

    @ma.validates_schema
    def _consistent(self, data, **_kwargs):
        if ("creator_ids" in data) == ("search" in data):
            raise ma.ValidationError("give either creator_ids or search", field_name="creator_ids")
        if "k" not in data and "budget_minor" not in data:
            raise ma.ValidationError("give a budget_minor (with fees) or a count k", field_name="k")
        if "budget_minor" in data and "currency" not in data:
            raise ma.ValidationError("a budget needs its currency", field_name="currency")
        if "budget_minor" in data and "fees" not in data and "default_fee_minor" not in data:
            raise ma.ValidationError("a budget needs fees or a default_fee_minor", field_name="fees")
        if "search" in data and "platform" not in data and not data["search"].get("platform"):
            raise ma.ValidationError("give the platform (in search or here): overlap is within one platform",
                                     field_name="platform")


class OptimiserPickSchema(ma.Schema):
    creator_id = fields.Integer(required=True)
    handle = fields.String(required=True)
    followers = fields.Integer(required=True)
    marginal_reach = fields.Float(required=True,
                                  metadata={"description": "Estimated unique authentic reach this pick adds"})
    cost_minor = fields.Integer(required=True)
    cumulative_reach = fields.Float(required=True)
    cumulative_cost_minor = fields.Integer(required=True)
    must_keep = fields.Boolean(required=True)


class NaivePickSchema(ma.Schema):
    creator_ids = fields.List(fields.Integer(), required=True)
    unique_reach = fields.Float(required=True)
    total_cost_minor = fields.Integer(required=True)
    picks = fields.List(fields.Nested(OptimiserPickSchema), required=True)


class OptimisationSchema(ma.Schema):
    picks = fields.List(fields.Nested(OptimiserPickSchema), required=True, metadata={"description": "In pick order"})
    unique_reach = fields.Float(required=True, metadata={"description": "Estimated unique authentic (target) reach"})
    total_cost_minor = fields.Integer(required=True)
    total_audience = fields.Float(required=True, metadata={"description": "Sum of the chosen creators' audiences"})
    duplication_factor = fields.Float(allow_none=True, required=True)
    budget_minor = fields.Integer(allow_none=True, required=True)
    currency = fields.String(allow_none=True)
    k = fields.Integer(allow_none=True, required=True)
    strategy = fields.String(required=True, validate=one_of(["greedy", "ratio_greedy", "unit_greedy_in_budget",
                                                             "best_single"]))
    guarantee = fields.Float(required=True,
                             metadata={"description": "Approximation factor that applies (1 - 1/e without a budget)"})
    naive = fields.Nested(NaivePickSchema, required=True,
                          metadata={"description": "Top candidates by followers within the same budget / k"})
    gain_over_naive = fields.Float(required=True)
    ratio_to_naive = fields.Float(allow_none=True, required=True)
    alternatives = fields.Dict(keys=fields.String(), values=fields.Float(), required=True)
    evaluations = fields.Integer(required=True)
    platform = fields.String(allow_none=True, required=True)
    as_of = fields.String(allow_none=True, required=True)
    target = _target_answered()
    candidates = fields.Integer(required=True)
    excluded = fields.List(fields.Integer(), required=True)
    must_keep = fields.List(fields.Integer(), required=True)
    objective = fields.String(required=True)
    notes = fields.List(fields.String(), required=True)
    shortlist_id = fields.Integer(allow_none=True, metadata={"description": "The saved shortlist (with save_as)"})
