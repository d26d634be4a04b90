"""The score explanation's parts as named schemas (documentation and generated clients' types).

The explanation is stored by the scoring run as JSON and answered as stored
(:class:`StoredJson` dumps it unchanged, so nothing a newer model adds is lost);
these schemas say what it holds. Every number is a :class:`FigureSchema`: its value
and whether it was measured or estimated, with the sample size and dates behind it.
"""
from __future__ import annotations

import marshmallow as ma
from marshmallow import fields

from influencers.api.contract import FreeForm

KINDS = ["measured", "estimated"]


class StoredJson(fields.Nested):
    """A nested schema for the document; the stored JSON itself is answered unchanged."""

    def _serialize(self, nested_obj, attr, obj, **kwargs):
        return nested_obj


class ExplanationPart(ma.Schema):
    """Stored explanations may carry more than is listed (flag-specific details, what newer model
    versions add): the document says so (additionalProperties), so clients keep what they get."""

    class Meta:
        unknown = ma.INCLUDE


def _kind():
    return fields.String(required=True, validate=ma.validate.OneOf(KINDS),
                         metadata={"description": "measured (counted in the data) or estimated (by the model)"})


class BenchmarkSchema(ExplanationPart):
    median = fields.Float(required=True, metadata={"description": "The benchmark median for the platform and tier"})
    log10_scale = fields.Float(required=True, metadata={"description": "Robust scale of log10 values"})
    source = fields.String(required=True,
                           metadata={"description": "Where the benchmark comes from (workspace data or defaults)"})
    n = fields.Integer(required=True, metadata={"description": "Creators behind the benchmark"})
    platform = fields.String(required=True)
    tier = fields.String(required=True)
    kind = fields.String(metadata={"description": "measured or estimated"})


class FigureSchema(ExplanationPart):
    """One number with what it is. Only ``value`` and ``kind`` are always present."""

    value = fields.Float(allow_none=True, required=True, metadata={"description": "null when there was no data"})
    kind = _kind()
    n = fields.Integer(metadata={"description": "Sample size behind the figure"})
    n_posts = fields.Integer(metadata={"description": "Posts behind the figure"})
    description = fields.String(metadata={"description": "How the figure is computed"})
    source = fields.String(metadata={"description": "Which input or fallback the figure comes from"})
    as_of = fields.String(allow_none=True, metadata={"description": "Date of the data behind the figure (ISO 8601)"})
    interval_95 = fields.List(fields.Float(allow_none=True), allow_none=True,
                              metadata={"description": "95% Wilson interval [low, high]"})
    prior = fields.Float(allow_none=True, metadata={"description": "The prior the measured share was shrunk towards"})
    basis = fields.String(metadata={"description": "followers or views: what an estimated reach is based on"})
    formula = fields.String()
    robust_z = fields.Float(allow_none=True, metadata={"description": "Robust z-score against the benchmark"})
    benchmark = fields.Nested(BenchmarkSchema)
    missing = fields.List(fields.String(), metadata={"description": "Inputs the creator has no data for"})
    audience_authenticity = fields.Float(allow_none=True)
    flag_factor = fields.Float(allow_none=True)


class ScoreComponentSchema(ExplanationPart):
    name = fields.String(required=True)
    value = fields.Float(allow_none=True, required=True, metadata={"description": "0-100 (estimated)"})
    kind = _kind()
    weight = fields.Float(required=True, metadata={"description": "The model's weight"})
    effective_weight = fields.Float(allow_none=True, required=True,
                                    metadata={"description": "The weight after renormalising over the components "
                                                             "present"})
    contribution = fields.Float(allow_none=True, required=True, metadata={"description": "value x effective weight"})
    description = fields.String(required=True)
    capped_at_benchmark = fields.String(metadata={"description": "Why engagement was capped at its benchmark"})


class LeftOutComponentSchema(ExplanationPart):
    name = fields.String(required=True)
    weight = fields.Float(required=True)
    reason = fields.String(required=True)


class EvidenceSignalSchema(ExplanationPart):
    name = fields.String(required=True)
    value = fields.Float(allow_none=True, required=True, metadata={"description": "null without data"})
    kind = _kind()
    n = fields.Integer(metadata={"description": "Sample size behind the signal"})
    threshold = FreeForm(json_schema={"oneOf": [
        {"type": "number"}, {"type": "object", "additionalProperties": {"type": "number"}}]}, metadata={"description": (
        "The threshold(s) the signal was compared with: a number, or an object naming each threshold")})
    benchmark = fields.Nested(BenchmarkSchema)
    description = fields.String()


class FlagEvidenceSchema(ExplanationPart):
    signals = fields.List(fields.Nested(EvidenceSignalSchema), required=True,
                          metadata={"description": "The measured or estimated signals that raised the flag"})


class FlagExplanationSchema(ExplanationPart):
    name = fields.String(required=True)
    description = fields.String(required=True)
    strength = fields.Nested(FigureSchema, required=True, metadata={"description": "0-1"})
    penalty = fields.Nested(FigureSchema, required=True, metadata={"description": "Share of the authenticity removed"})
    evidence = fields.Nested(FlagEvidenceSchema, required=True, metadata={"description": (
        "The signals, plus flag-specific details (e.g. spikes and lift windows for bought_followers, the "
        "comment cluster for engagement pods)")})


class AudienceExplanationSchema(ExplanationPart):
    sample_size = fields.Integer(required=True)
    sampled_at = fields.String(allow_none=True, required=True, metadata={"description": "Date of the audience sample"})
    fake_follower_share = fields.Nested(FigureSchema, required=True)
    types = fields.Dict(keys=fields.String(), values=fields.Nested(FigureSchema), allow_none=True, required=True,
                        metadata={"description": "Share of each member type "
                                                 "(real, suspicious, mass_follower, inactive)"})
    reachable_share = fields.Nested(FigureSchema, required=True)
    fake_share_used = fields.Nested(FigureSchema, required=True)
    reachable_share_used = fields.Nested(FigureSchema, required=True)


class ReachExplanationSchema(ExplanationPart):
    estimated_reach = fields.Nested(FigureSchema, required=True)
    follower_based = fields.Nested(FigureSchema, required=True)
    views_based = fields.Nested(FigureSchema, required=True)
    inputs = fields.Dict(keys=fields.String(), values=fields.Nested(FigureSchema), required=True,
                         metadata={"description": "followers, fake_share_used, reachable_share_used, reach_rate"})


class SignalSchema(ExplanationPart):
    """One signal of the ``signals`` section: computed for every creator, flagged or not."""

    value = fields.Float(allow_none=True, required=True, metadata={"description": "null without data"})
    kind = _kind()
    n = fields.Integer(metadata={"description": "Sample size behind the signal (members or posts)"})
    posts_far_above = fields.Integer(metadata={"description": (
        "Own-baseline tests: the posts far above the creator's own 20th-percentile post (count out of n)")})
    p_value = fields.Float(allow_none=True, metadata={"description": (
        "Own-baseline tests: binomial chance of at least this many such posts out of n at the peer group's rate")})
    standard_error = fields.Float(allow_none=True)
    peer_group = FreeForm(metadata={"description": "The peers the signal is judged against: which group, its size, "
                                                   "its median or rate"})
    threshold = FreeForm(json_schema={"oneOf": [
        {"type": "number"}, {"type": "object", "additionalProperties": {"type": "number"}}]}, metadata={"description": (
        "The threshold(s) the signal is compared with: a number, or an object naming each threshold")})
    description = fields.String()


class AbstentionSchema(ExplanationPart):
    flag = fields.String(required=True)
    reason = fields.String(required=True, metadata={"description": (
        "Why the rule did not judge this creator: the platform lacks its input, or (drip_followers) neither "
        "engagement nor the audience sample could tell, with the figures")})


class ScoreExplanationSchema(ExplanationPart):
    creator_id = fields.Integer(required=True)
    handle = fields.String(allow_none=True, required=True)
    platform = fields.String(required=True)
    tier = fields.String(required=True)
    as_of = fields.String(allow_none=True, required=True, metadata={"description": "Date of the newest data used"})
    model_version = fields.String(required=True)
    score = fields.Nested(FigureSchema, required=True)
    components = fields.List(fields.Nested(ScoreComponentSchema), required=True)
    left_out_components = fields.List(fields.Nested(LeftOutComponentSchema), required=True)
    authenticity = fields.Nested(FigureSchema, required=True)
    audience = fields.Nested(AudienceExplanationSchema, required=True)
    engagement = fields.Dict(keys=fields.String(), values=fields.Nested(FigureSchema), allow_none=True, required=True,
                             metadata={"description": "Each engagement metric (er_followers, er_views, likes_per_view, "
                                                      "comments_per_like) against its benchmark"})
    reach = fields.Nested(ReachExplanationSchema, required=True)
    flags = fields.List(fields.Nested(FlagExplanationSchema), required=True)
    notes = fields.Dict(keys=fields.String(), values=FreeForm(metadata={"description": "Flag-specific notes"}),
                        required=True,
                         metadata={"description": "Per flag name: notes on signals that did not raise it"})
    signals = fields.Dict(keys=fields.String(), values=fields.Nested(SignalSchema), required=True, metadata={
        "description": "Every creator's signals of the default models, flagged or not, by name: drip growth and "
                       "engagement elasticity, audience shares against peers, engagement outliers, and the posts "
                       "far above the creator's own baseline (engagement per follower; comments per like)"})
    abstentions = fields.List(fields.Nested(AbstentionSchema), required=True,
                              metadata={"description": "Rules that did not judge this creator, and why"})
    sample_size = fields.Integer(required=True)
    posts_used = fields.Integer(required=True)
    snapshots = fields.Integer(required=True)
    confidence = fields.Nested(FigureSchema, required=True)
