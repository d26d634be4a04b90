"""The scoring entry point: :func:`score_creators` and its :class:`ScoringResult`.

Pure computation over :class:`~influencers.scoring.inputs.ScoringInputs`: no
database, no web framework. Every output number is labelled ``measured`` (read
from the data: counts, medians of counts) or ``estimated`` (inferred: shares from
a sample, benchmarks, reach, scores), with its sample size and as-of date.
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from influencers.scoring import grouped
from influencers.scoring.audience import MEMBER_TYPES, AudienceResult, audience_authenticity
from influencers.scoring.benchmarks import METRICS, TIERS, Benchmarks
from influencers.scoring.composite import (
    INFLATING_FLAGS,
    composite_score,
    engagement_quality,
    reach_value,
)
from influencers.scoring.engagement import EngagementResult, engagement_metrics
from influencers.scoring.fraud import FlagResult, activity_flags, detect_fraud
from influencers.scoring.inputs import PLATFORMS, ScoringInputs
from influencers.scoring.model import COMPONENTS, DEFAULT_MODEL, FLAGS, ScoringModel
from influencers.scoring.own_baseline import OwnBaselineColumns
from influencers.scoring.reach import BASES, ReachResult, estimate_reach

if TYPE_CHECKING:
    from influencers.scoring.peers import ActivityPeers

FAKE_SHARE_SOURCES = ("audience sample", "workspace platform median", "model prior")
MIN_SAMPLES_FOR_PRIOR = 10

COMPONENT_DESCRIPTIONS = {
    "authenticity": "authenticity / 100",
    "engagement": "normal CDF of the mean robust z of engagement rates vs platform x tier benchmark (0.5 = benchmark)",
    "reach": "log10(estimated reach) between the model's floor and ceiling",
    "centrality": "graph centrality in [0, 1], from the graph module",
}


def _f(x):
    if x is None:
        return None
    x = float(x)
    return None if x != x or x in (float("inf"), float("-inf")) else x


def _num_column(values: np.ndarray) -> list:
    """An explanation's numbers ("value" of ``{"value": ..., "kind": ...}``): integer
    columns stay ints, other numbers are floats, nan and infinities None. One ``tolist``
    instead of n numpy scalar reads and conversions."""
    values = np.asarray(values)
    if values.dtype.kind in "iu":
        return values.tolist()
    return _float_column(values)


def _float_column(values: np.ndarray) -> list:
    """What ``_f`` makes of each element: floats, None for nan and infinities (JSON has neither)."""
    values = np.asarray(values, dtype=float)
    out = values.tolist()
    for k in np.flatnonzero(~np.isfinite(values)).tolist():
        out[k] = None
    return out


def _day_column(values: np.ndarray) -> list:
    """Dates as 'YYYY-MM-DD', None for NaT."""
    days = np.asarray(values).astype("datetime64[D]")
    out = np.datetime_as_string(days, unit="D").tolist()
    for k in np.flatnonzero(np.isnat(days)).tolist():
        out[k] = None
    return out


class _ExplanationColumns:
    """A :class:`ScoringResult`'s arrays as the JSON-ready Python values its explanations
    hold, one list per column, made once per result (see ``ScoringResult.explanation``).

    A snapshot: made on the first explanation, it does not follow later changes to the
    result's arrays (nothing changes them once ``score_creators`` has returned).
    """

    def __init__(self, r: ScoringResult):
        model = r.model
        self.creator_ids = np.asarray(r.creator_ids).astype(np.int64).tolist()
        self.handles = None if r.handles is None else [str(h) for h in r.handles]
        self.platform = np.asarray(r.platform).astype(np.int64).tolist()
        self.tier = np.asarray(r.tier).astype(np.int64).tolist()
        self.sample_size = np.asarray(r.sample_size).astype(np.int64).tolist()
        self.sample_date = _day_column(r.sample_date)
        self.as_of = _day_column(r.as_of)
        self.fake_share_source = np.asarray(r.fake_share_source).astype(np.int64).tolist()
        self.prior_source = np.asarray(r.prior_source).astype(np.int64).tolist()
        strength = int(model.threshold("prior_strength_members"))
        self.shrink = {
            k: f"(sample count + {strength} x prior) / (sample size + {strength}): the sample share shrunk "
               f"toward the prior ({FAKE_SHARE_SOURCES[k]}); used by authenticity and reach"
            for k in set(self.prior_source)
        }
        self.weights = {c: model.weight(c) for c in COMPONENTS}
        # Per component: left out (nan), value, effective weight, contribution.
        self.components = [(c, np.isnan(r.components[c]).tolist(), _float_column(r.components[c]),
                            _float_column(r.effective_weights[c]), _float_column(r.contributions[c]))
                           for c in COMPONENTS]
        self.left_out = {
            c: {"name": c, "weight": model.weight(c),
                "reason": ("no centrality given" if c == "centrality" and not r.centrality_given
                           else f"no data for {c}") + "; the other weights are renormalised"}
            for c in COMPONENTS
        }
        self.engagement_capped = np.asarray(r.engagement_capped, dtype=bool).tolist()
        self.inflating = [(f, np.asarray(r.flags[f].flagged, dtype=bool).tolist()) for f in INFLATING_FLAGS]
        self.posts_used = np.asarray(r.posts_used).astype(np.int64).tolist()
        self.views_posts_used = np.asarray(r.views_posts_used).astype(np.int64).tolist()
        self.engagement = _EngagementColumns(r.platform, r._engagement)
        for name in ("fake_follower_share", "reachable_share", "fake_share_used", "reachable_share_used",
                     "estimated_reach", "followers", "score", "authenticity", "confidence"):
            setattr(self, name, _num_column(getattr(r, name)))
        for name in ("fake_follower_share_low", "fake_follower_share_high", "prior_fake_share",
                     "prior_reachable_share", "audience_authenticity", "flag_factor"):
            setattr(self, name, _float_column(getattr(r, name)))
        self.type_shares = [(t, _num_column(r.type_shares[t])) for t in MEMBER_TYPES]
        self.reachable_description = ("members following fewer than "
                                      f"{int(model.threshold('mass_follower_following'))} accounts")
        self.basis = np.asarray(r.reach.basis).astype(np.int64).tolist()
        self.follower_based_reach = _num_column(r.reach.follower_based_reach)
        self.views_based_reach = _num_column(r.reach.views_based_reach)
        self.reach_rate = _num_column(r.reach.reach_rate)
        self.reach_rate_source = f"model {model.version}"
        self.snapshot_count = np.asarray(r.snapshot_count).astype(np.int64).tolist()
        # Strengths as plain floats (nan kept): the penalty is computed from them.
        self.signals = _SignalColumns(r)
        self.abstentions = [(name, r.flags[name].abstain_reason, np.asarray(r.flags[name].abstained, bool).tolist())
                            for name in FLAGS if r.flags[name].abstained is not None]
        # Per creator: rules that had their input but could not tell (their reason names the figures).
        self.undecided = [(name, r.flags[name].undecided) for name in FLAGS if r.flags[name].undecided]
        self.flag_columns = [(name, r.flags[name], np.asarray(r.flags[name].flagged, dtype=bool).tolist(),
                              np.asarray(r.flags[name].strength, dtype=float).tolist(), model.penalty(name))
                             for name in FLAGS]



class _SignalColumns:
    """The explanations' ``signals`` section: the default-2 signals of every creator, flagged or
    not, as named measured values (with their peer group, sample size and threshold), so that
    they can also serve as features of a trained model."""

    def __init__(self, r: ScoringResult):
        t = r.model.threshold
        aud, flags = r._audience, r.flags
        drip = flags["drip_followers"].signals.get("drip", {})
        n = r.n_creators
        nan = np.full(n, np.nan)
        self.window = _float_column(drip.get("window", nan))
        self.rate = _float_column(drip.get("rate", nan))
        self.z = _float_column(drip.get("z", nan))
        self.peer_n = np.asarray(drip.get("peer_n", np.zeros(n)), dtype=np.int64).tolist()
        self.elasticity = _float_column(flags["drip_followers"].signals.get("elasticity", nan))
        self.sample_size = np.asarray(aud.sample_size, dtype=np.int64).tolist()
        for name in ("farm_share", "foreign_share", "foreign_dormant_share", "foreign_peer_median",
                     "inactive_peer_median", "youth_share"):
            setattr(self, name, _float_column(getattr(aud.signals, name)))
        self.inactive = _float_column(aud.type_shares[:, 2])
        for name in ("farm_unrelated_creators", "foreign_peer_n", "inactive_peer_n"):
            setattr(self, name, np.asarray(getattr(aud.signals, name), dtype=np.int64).tolist())
        eng_signals = flags["bought_engagement"].signals
        self.er_views_z = _float_column(r.metric_z["er_views"])
        self.views_posts = np.asarray(r.views_posts_used, dtype=np.int64).tolist()
        self.outlier_share = _float_column(np.fmax(eng_signals.get("share_views", nan),
                                                   eng_signals.get("share_followers", nan)))
        self.outlier_posts = np.asarray(eng_signals.get("n_posts", np.zeros(n)), dtype=np.int64).tolist()
        self.thresholds = {name: t(name) for name in (
            "drip_peer_z", "drip_max_elasticity", "suspicious_audience_share", "foreign_peer_share",
            "inactive_excess", "engagement_views_z", "engagement_min_post_share", "drip_elasticity_z",
            "own_excess_z", "own_excess_max_p", "own_excess_min_share", "dormancy_contrast_max_p",
            "dormancy_contrast_ratio", "dormancy_contrast_share", "dormancy_contrast_min_rate")}
        self.elasticity_se = _float_column(flags["drip_followers"].signals.get("elasticity_se", nan))
        dormancy = flags["suspicious_audience"].signals.get("dormancy", {})
        self.dormancy = {k: _float_column(dormancy.get(k, nan)) for k in ("foreign_rate", "local_rate", "p_value")}
        self.dormancy.update({k: np.asarray(dormancy.get(k, np.zeros(n)), dtype=np.int64).tolist()
                              for k in ("foreign_n", "local_n")})
        # Posts far above the creator's own baseline (own_baseline.py): engagement per follower
        # (bought_engagement) and comments per like (comment_pod).
        self.own_excess = [(name, OwnBaselineColumns(flags[flag].signals.get(key), r.platform, n, PLATFORMS))
                           for name, flag, key in (("posts_far_above_own_baseline", "bought_engagement", "own_excess"),
                                                   ("posts_comments_far_above_own_baseline", "comment_pod",
                                                    "own_excess"))]

    def section(self, i: int) -> dict:
        th = self.thresholds
        n = self.sample_size[i]
        return {
            "window_daily_growth": {"value": self.rate[i], "kind": "measured", "window_days": self.window[i],
                                    "z": self.z[i], "peer_group": {"of": "platform x tier", "n": self.peer_n[i]},
                                    "threshold": {"z_above": th["drip_peer_z"]}},
            "engagement_elasticity": {"value": self.elasticity[i], "kind": "measured",
                                      "standard_error": self.elasticity_se[i],
                                      "threshold": {"below": th["drip_max_elasticity"], "upper_bound_below": 1.0,
                                                    "upper_bound_z": th["drip_elasticity_z"]}},
            "farm_shared_member_share": {"value": self.farm_share[i], "kind": "measured", "n": n,
                                         "unrelated_creators_sharing": self.farm_unrelated_creators[i],
                                         "threshold": {"wilson_low_above": th["suspicious_audience_share"]}},
            "foreign_share": {"value": self.foreign_share[i], "kind": "measured", "n": n,
                              "peer_group": {"of": "creator country", "n": self.foreign_peer_n[i],
                                             "median": self.foreign_peer_median[i]},
                              "threshold": {"foreign_below_peer_share": th["foreign_peer_share"]}},
            "foreign_dormant_share": {"value": self.foreign_dormant_share[i], "kind": "measured", "n": n,
                                      "threshold": {"wilson_low_above": th["suspicious_audience_share"]}},
            "inactive_share": {"value": self.inactive[i], "kind": "measured", "n": n,
                               "peer_group": {"of": "platform x niche", "n": self.inactive_peer_n[i],
                                              "median": self.inactive_peer_median[i]},
                               "threshold": {"excess_reported_above": th["inactive_excess"]}},
            "foreign_vs_local_dormancy": {
                "value": self.dormancy["foreign_rate"][i], "kind": "measured", "n": self.dormancy["foreign_n"][i],
                "local": {"dormant_share": self.dormancy["local_rate"][i], "n": self.dormancy["local_n"][i]},
                "p_value": self.dormancy["p_value"][i],
                "threshold": {"p_value_below": th["dormancy_contrast_max_p"],
                              "foreign_share_at_least_times_local": th["dormancy_contrast_ratio"],
                              "foreign_dormant_share_at_least": th["dormancy_contrast_min_rate"],
                              "foreign_dormant_share_wilson_low_above": th["dormancy_contrast_share"]}},
            "youth_share": {"value": self.youth_share[i], "kind": "measured", "n": n,
                            "description": "age range 13-17 among members with a known age: youth, not fraud"},
            "engagement_per_view_z": {"value": self.er_views_z[i], "kind": "measured", "n": self.views_posts[i],
                                      "peer_group": {"of": "platform x tier"},
                                      "threshold": {"above": th["engagement_views_z"]}},
            "engagement_outlier_post_share": {"value": self.outlier_share[i], "kind": "measured",
                                              "n": self.outlier_posts[i],
                                              "threshold": {"at_least": th["engagement_min_post_share"]}},
            **{name: columns.section(i, th) for name, columns in self.own_excess},
        }


class _EngagementColumns:
    """The columns of the explanations' ``engagement`` section, which depend on the posts
    only: a scoring run builds that section while it waits for its audience pass
    (:func:`engagement_explanations`)."""

    def __init__(self, platform: np.ndarray, eng: EngagementResult):
        self.platform = np.asarray(platform).astype(np.int64).tolist()
        self.tier = np.asarray(eng.tier).astype(np.int64).tolist()
        self.posts_used = np.asarray(eng.posts_used).astype(np.int64).tolist()
        self.views_posts_used = np.asarray(eng.views_posts_used).astype(np.int64).tolist()
        self.metrics = [(m, description, m in ("er_views", "likes_per_view"), _num_column(eng.metrics[m]),
                         _float_column(eng.z[m])) for m, description in METRICS.items()]
        self._benchmarks = eng.benchmarks
        self._benchmark_cache: dict[tuple[str, int, int], dict] = {}

    def benchmark(self, metric: str, platform: int, tier: int) -> dict:
        """``Benchmarks[metric].describe(platform, tier)`` plus its kind (a fresh dict per call)."""
        key = (metric, platform, tier)
        described = self._benchmark_cache.get(key)
        if described is None:
            described = self._benchmark_cache[key] = (
                self._benchmarks[metric].describe(platform, tier) | {"kind": "estimated"})
        return dict(described)

    def section(self, i: int) -> dict:
        p, tier = self.platform[i], self.tier[i]
        posts_used, views_posts_used = self.posts_used[i], self.views_posts_used[i]
        return {m: {"value": values[i], "kind": "measured",
                    "n_posts": views_posts_used if per_view else posts_used, "description": description,
                    "robust_z": z[i], "benchmark": self.benchmark(m, p, tier)}
                for m, description, per_view, values, z in self.metrics}


def engagement_explanations(inputs: ScoringInputs, activity: ActivitySignals) -> Iterator[dict]:
    """Every creator's explanation ``engagement`` section, from :func:`activity_signals` alone:
    what :meth:`ScoringResult.explanations` puts there for a result scored with that activity.
    One at a time: a caller encoding each as it comes never holds a large run's 20,000 dicts."""
    columns = _EngagementColumns(inputs.platform, activity.engagement)
    return (columns.section(i) for i in range(inputs.n_creators))


@dataclass
class ScoringResult:
    """Arrays per creator (aligned with the inputs) and per-creator explanations."""

    model: ScoringModel
    creator_ids: np.ndarray
    platform: np.ndarray
    handles: np.ndarray | None
    followers: np.ndarray                 # as given (measured)
    as_of: np.ndarray                     # datetime64[D]: the latest date the creator's data describes
    tier: np.ndarray                      # index into TIERS
    # audience
    sample_size: np.ndarray
    sample_date: np.ndarray
    fake_follower_share: np.ndarray       # used everywhere: sample, else workspace/platform prior
    fake_follower_share_low: np.ndarray   # Wilson 95% (nan without a sample)
    fake_follower_share_high: np.ndarray
    fake_share_source: np.ndarray         # index into FAKE_SHARE_SOURCES
    type_shares: dict[str, np.ndarray]    # MEMBER_TYPES -> share (nan without a sample)
    reachable_share: np.ndarray           # sample, else the same fallbacks as the fake share
    # What authenticity and reach use: the sample shares shrunk toward the prior with
    # ``prior_strength_members`` pseudo-members (a 2-member sample says little; 200 say a lot).
    fake_share_used: np.ndarray
    reachable_share_used: np.ndarray
    prior_fake_share: np.ndarray
    prior_reachable_share: np.ndarray
    prior_source: np.ndarray              # index into FAKE_SHARE_SOURCES (1 or 2)
    # engagement
    engagement_rate: np.ndarray           # er by followers (median of recent posts)
    metrics: dict[str, np.ndarray]
    metric_z: dict[str, np.ndarray]
    posts_used: np.ndarray
    views_posts_used: np.ndarray
    snapshot_count: np.ndarray
    # fraud and scores
    flags: dict[str, FlagResult]
    authenticity: np.ndarray
    audience_authenticity: np.ndarray     # 100 x (1 - fake share)
    flag_factor: np.ndarray               # product over flags of (1 - penalty x severity)
    estimated_reach: np.ndarray
    reach: ReachResult
    components: dict[str, np.ndarray]     # COMPONENTS -> value in [0, 1], nan when left out
    effective_weights: dict[str, np.ndarray]
    contributions: dict[str, np.ndarray]
    score: np.ndarray
    engagement_capped: np.ndarray
    confidence: np.ndarray
    centrality_given: bool
    benchmarks: Benchmarks
    _engagement: EngagementResult = field(repr=False)
    _audience: AudienceResult = field(repr=False)

    @property
    def n_creators(self) -> int:
        return len(self.creator_ids)

    def flag_names(self, i: int) -> list[str]:
        return [name for name in FLAGS if self.flags[name].flagged[i]]

    def flags_for(self, i: int) -> list[dict]:
        """The creator's flags, each with its strength, penalty and evidence (JSON-able)."""
        i = int(i)
        out = []
        for name, flag, flagged, strength, penalty in self._explain.flag_columns:
            if flagged[i]:
                s = strength[i]
                out.append({
                    "name": name,
                    "description": flag.description,
                    "strength": {"value": _f(s), "kind": "estimated"},
                    "penalty": {"value": _f(penalty * (0.5 + 0.5 * s)), "kind": "estimated",
                                "description": "share of the authenticity this flag removes: "
                                "model penalty x (0.5 + 0.5 x strength)"},
                    "evidence": flag.evidence.get(i, {}),
                })
        return out

    def missing(self, i: int) -> list[str]:
        x = self._explain
        out = []
        if x.sample_size[i] == 0:
            out.append("audience sample")
        if x.posts_used[i] == 0:
            out.append("posts")
        if x.snapshot_count[i] < 2:
            out.append("follower snapshots")
        if not self.centrality_given or x.components[COMPONENTS.index("centrality")][1][i]:
            out.append("centrality")
        return out

    def columns(self) -> dict[str, np.ndarray]:
        """Flat per-creator columns for listings and CSV export (flags joined by ';')."""
        flags = np.array([";".join(self.flag_names(i)) for i in range(self.n_creators)], dtype=object)
        return {
            "creator_id": self.creator_ids,
            "platform": np.asarray(PLATFORMS, dtype=object)[self.platform],
            "handle": self.handles if self.handles is not None else np.full(self.n_creators, None, dtype=object),
            "score": self.score,
            "authenticity": self.authenticity,
            "fake_follower_share": self.fake_follower_share,
            "fake_follower_share_low": self.fake_follower_share_low,
            "fake_follower_share_high": self.fake_follower_share_high,
            "reachable_share": self.reachable_share,
            "engagement_rate": self.engagement_rate,
            "engagement_rate_views": self.metrics["er_views"],
            "estimated_reach": self.estimated_reach,
            "sample_size": self.sample_size,
            "confidence": self.confidence,
            "flags": flags,
            "as_of": self.as_of,
            "model_version": np.full(self.n_creators, self.model.version, dtype=object),
        }

    @cached_property
    def _explain(self) -> _ExplanationColumns:
        return _ExplanationColumns(self)

    def explanations(self, engagement: Sequence | None = None) -> Iterator[dict]:
        """Every creator's explanation (what a scoring run stores), in creator order.
        ``engagement``: each creator's ``engagement`` section, made already (see
        :func:`engagement_explanations`; anything the caller's JSON encoder embeds as is).
        One at a time: a run encodes each as it comes, so that the ~2M Python objects of
        20,000 explanations are never all alive at once (fresh memory is what a large run
        pays most for after its reads)."""
        if engagement is not None and len(engagement) != self.n_creators:
            raise ValueError(f"{len(engagement)} engagement sections for {self.n_creators} creators")
        return (self.explanation(i, None if engagement is None else engagement[i]) for i in range(self.n_creators))

    def explanation(self, i: int, engagement=None) -> dict:
        """Everything behind creator ``i``'s score, JSON-able (no nan: missing is None).

        Built from per-column Python lists (:class:`_ExplanationColumns`, made once per
        result): a run builds ~100 numbers per creator for every creator, and reading
        them one numpy scalar at a time (then converting each) cost more than the rest
        of the write.
        """
        i = int(i)
        x = self._explain
        p, tier = x.platform[i], x.tier[i]
        n = x.sample_size[i]
        sampled = n > 0
        sample_date = x.sample_date[i]
        fake_source = FAKE_SHARE_SOURCES[x.fake_share_source[i]]

        components, left_out = [], []
        for c, nan, value, effective, contribution in x.components:
            if nan[i]:
                left_out.append(dict(x.left_out[c]))
                continue
            components.append({
                "name": c, "value": value[i], "kind": "estimated",
                "weight": x.weights[c], "effective_weight": effective[i],
                "contribution": contribution[i], "description": COMPONENT_DESCRIPTIONS[c],
            })
            if c == "engagement" and x.engagement_capped[i]:
                components[-1]["capped_at_benchmark"] = "a flag says engagement is inflated (" + ", ".join(
                    f for f, flagged in x.inflating if flagged[i]) + ")"

        posts_used = x.posts_used[i]
        views_posts_used = x.views_posts_used[i]
        if engagement is None:
            engagement = x.engagement.section(i)

        fake_share_used = {"value": x.fake_share_used[i], "kind": "estimated", "n": n}
        reachable_share_used = {"value": x.reachable_share_used[i], "kind": "estimated", "n": n}
        shrink = x.shrink[x.prior_source[i]]
        audience = {
            "sample_size": n,
            "sampled_at": sample_date,
            "fake_follower_share": {
                "value": x.fake_follower_share[i], "kind": "estimated", "n": n, "source": fake_source,
                "interval_95": [x.fake_follower_share_low[i], x.fake_follower_share_high[i]] if sampled else None,
                "as_of": sample_date},
            "types": {t: {"value": shares[i], "kind": "estimated", "n": n} for t, shares in x.type_shares}
            if sampled else None,
            "reachable_share": {"value": x.reachable_share[i], "kind": "estimated", "n": n, "source": fake_source,
                                "description": x.reachable_description},
            "fake_share_used": fake_share_used | {"description": shrink, "prior": x.prior_fake_share[i]},
            "reachable_share_used": reachable_share_used | {"description": shrink,
                                                            "prior": x.prior_reachable_share[i]},
        }

        basis = BASES[x.basis[i]]
        reach = {
            "estimated_reach": {"value": x.estimated_reach[i],
                                "kind": "estimated" if basis == "followers" else "measured", "basis": basis},
            "follower_based": {"value": x.follower_based_reach[i], "kind": "estimated",
                               "formula": "followers x (1 - fake share) x reachable share x reach rate"},
            "views_based": {"value": x.views_based_reach[i], "kind": "measured", "n_posts": views_posts_used,
                            "description": "median views of recent posts (video platforms)"},
            "inputs": {
                "followers": {"value": x.followers[i], "kind": "measured", "as_of": x.as_of[i]},
                "fake_share_used": fake_share_used,
                "reachable_share_used": reachable_share_used,
                "reach_rate": {"value": x.reach_rate[i], "kind": "estimated", "source": x.reach_rate_source},
            },
        }

        flag_list = self.flags_for(i)
        notes = {}
        for flag in self.flags.values():
            if i in flag.notes:
                notes[flag.name] = flag.notes[i]
        return {
            "creator_id": x.creator_ids[i],
            "handle": None if self.handles is None else x.handles[i],
            "platform": PLATFORMS[p],
            "tier": TIERS[tier],
            "as_of": x.as_of[i],
            "model_version": self.model.version,
            "score": {"value": x.score[i], "kind": "estimated",
                      "description": "weighted mean of the components, 0-100"},
            "components": components,
            "left_out_components": left_out,
            "authenticity": {
                "value": x.authenticity[i], "kind": "estimated",
                "description": "100 x (1 - fake share used) x product over flags of (1 - penalty x severity)",
                "audience_authenticity": x.audience_authenticity[i],
                "flag_factor": x.flag_factor[i]},
            "audience": audience,
            "engagement": engagement,
            "reach": reach,
            "flags": flag_list,
            "notes": notes,
            "signals": x.signals.section(i),
            "abstentions": [{"flag": name, "reason": reason} for name, reason, mask in x.abstentions if mask[i]]
            + [{"flag": name, "reason": reasons[i]} for name, reasons in x.undecided if i in reasons],
            "sample_size": n,
            "posts_used": posts_used,
            "snapshots": x.snapshot_count[i],
            "confidence": {"value": x.confidence[i], "kind": "estimated", "missing": self.missing(i)},
        }



def _prior_share(measured: np.ndarray, platform: np.ndarray, sampled: np.ndarray, prior: float,
                 platform_medians: tuple[np.ndarray, np.ndarray] | None = None):
    """Per creator: the median share of the sampled creators of its platform (when at least
    MIN_SAMPLES_FOR_PRIOR are sampled), else ``prior``; and which one (1 or 2 in FAKE_SHARE_SOURCES).
    ``platform_medians``: (median, sampled creators) per platform of the whole workspace, else of these creators."""
    n_platforms = len(PLATFORMS)
    if platform_medians is not None:
        med, count = platform_medians
    else:
        count = grouped.counts(platform, n_platforms, sampled)
        med = grouped.median(platform, np.where(sampled, measured, np.nan), n_platforms)
    use_platform = count[platform] >= MIN_SAMPLES_FOR_PRIOR
    return np.where(use_platform, med[platform], prior), np.where(use_platform, 1, 2)


@dataclass
class ActivitySignals:
    """What scoring computes from posts, snapshots and edges alone (no audience sample)."""

    engagement: EngagementResult
    flags: dict[str, FlagResult]


def activity_signals(inputs: ScoringInputs, model: ScoringModel = DEFAULT_MODEL,
                     pods: dict[int, dict] | None = None, peers: ActivityPeers | None = None) -> ActivitySignals:
    """Engagement and the activity flags, for :func:`score_creators` (``activity=``): a scoring
    run computes them while its audience pass still runs in a worker process. ``peers``: the
    whole workspace's peer statistics when ``inputs`` hold a range of its creators
    (:mod:`influencers.scoring.peers`), else the inputs' own."""
    eng = engagement_metrics(inputs, model, peers)
    return ActivitySignals(eng, activity_flags(inputs, eng, model, pods))


def score_creators(inputs: ScoringInputs, model: ScoringModel = DEFAULT_MODEL,
                   centrality: np.ndarray | None = None, pods: dict[int, dict] | None = None,
                   audience: AudienceResult | None = None, activity: ActivitySignals | None = None) -> ScoringResult:
    """Score every creator of ``inputs`` with ``model``.

    ``centrality``: optional per-creator values in [0, 1] from the graph module
    (``nan`` for a creator it could not place). Without it the centrality
    component is left out and the other weights renormalised. ``pods``: optional
    comment-cluster evidence per creator index from the graph module
    (:func:`influencers.graph.pods.pod_evidence`), added to the ``comment_pod`` flag's evidence.
    ``audience``: ``audience_authenticity(inputs, model)`` computed already (by a scoring
    run's audience pass, possibly in another process); ``inputs`` then need no members.
    ``activity``: :func:`activity_signals` of the same inputs, model and pods, computed already.
    """
    n = inputs.n_creators
    aud = audience_authenticity(inputs, model) if audience is None else audience
    if activity is None:
        activity = activity_signals(inputs, model, pods)
    eng = activity.engagement
    flags = detect_fraud(inputs, aud, eng, model, pods=pods, activity=activity.flags)

    size = aud.sample_size
    sampled = size > 0
    peers = aud.peers  # the whole workspace's platform medians, for a range of its creators
    prior_fake, prior_source = _prior_share(aud.fake_share, inputs.platform, sampled,
                                            model.threshold("prior_fake_share"),
                                            None if peers is None else (peers.platform_fake_median,
                                                                        peers.platform_sampled))
    prior_reachable, _ = _prior_share(aud.reachable_share, inputs.platform, sampled,
                                      model.threshold("prior_reachable_share"),
                                      None if peers is None else (peers.platform_reachable_median,
                                                                  peers.platform_sampled))
    fake = np.where(sampled, aud.fake_share, prior_fake)
    fake_source = np.where(sampled, 0, prior_source)
    reachable = np.where(sampled, aud.reachable_share, prior_reachable)
    m = model.threshold("prior_strength_members")
    fake_used = (np.nan_to_num(aud.fake_share) * size + m * prior_fake) / (size + m)
    reachable_used = (np.nan_to_num(aud.reachable_share) * size + m * prior_reachable) / (size + m)

    flag_factor = np.ones(n)
    for name, flag in flags.items():
        severity = np.where(flag.flagged, 0.5 + 0.5 * flag.strength, 0.0)
        flag_factor *= 1 - model.penalty(name) * severity
    audience_auth = 100 * (1 - fake_used)
    authenticity = audience_auth * flag_factor

    reach = estimate_reach(inputs, fake_used, reachable_used, eng.median_views, model)

    inflated = np.zeros(n, bool)
    for name in INFLATING_FLAGS:
        inflated |= flags[name].flagged
    quality, capped = engagement_quality(eng.z["er_followers"], eng.z["er_views"], inflated)
    values = {
        "authenticity": authenticity / 100,
        "engagement": quality,
        "reach": reach_value(reach.estimated_reach, model),
    }
    if centrality is not None:
        centrality = np.asarray(centrality, dtype=float)
        if centrality.shape != (n,):
            raise ValueError(f"centrality must have one value per creator ({n}), got shape {centrality.shape}")
        if np.any(centrality[~np.isnan(centrality)] < 0) or np.any(centrality[~np.isnan(centrality)] > 1):
            raise ValueError("centrality values must be in [0, 1]")
        values["centrality"] = centrality
    else:
        values["centrality"] = np.full(n, np.nan)
    effective, contributions, score = composite_score(values, model, n)

    snapshot_count = grouped.counts(inputs.snapshot_creator, n)
    last_snapshot = np.full(n, np.datetime64("NaT", "D"))
    if len(inputs.snapshot_creator):
        latest = np.full(n, np.iinfo(np.int64).min)
        np.maximum.at(latest, inputs.snapshot_creator, inputs.snapshot_date.astype(np.int64))
        has = latest > np.iinfo(np.int64).min
        last_snapshot[has] = latest[has].astype("datetime64[D]")
    data_dates = np.vstack([inputs.sample_date, last_snapshot, eng.last_post_at.astype("datetime64[D]")])
    latest_data = np.where(np.isnat(data_dates), np.datetime64("1970-01-01", "D"), data_dates).max(axis=0)
    latest_data = np.where(np.isnat(data_dates).all(axis=0), np.datetime64("NaT", "D"), latest_data)
    as_of = np.where(np.isnat(inputs.as_of), latest_data, inputs.as_of)

    confidence = (0.5 * np.minimum(aud.sample_size / 100, 1) + 0.3 * np.minimum(eng.posts_used / 12, 1)
                  + 0.2 * np.minimum(snapshot_count / 30, 1))

    result = ScoringResult(
        model=model,
        creator_ids=inputs.creator_ids,
        platform=inputs.platform,
        handles=inputs.handles,
        followers=inputs.followers,
        as_of=as_of,
        tier=eng.tier,
        sample_size=aud.sample_size,
        sample_date=inputs.sample_date,
        fake_follower_share=fake,
        fake_follower_share_low=aud.fake_share_low,
        fake_follower_share_high=aud.fake_share_high,
        fake_share_source=fake_source,
        type_shares={t: aud.type_shares[:, k] for k, t in enumerate(MEMBER_TYPES)},
        reachable_share=reachable,
        fake_share_used=fake_used,
        reachable_share_used=reachable_used,
        prior_fake_share=prior_fake,
        prior_reachable_share=prior_reachable,
        prior_source=prior_source,
        engagement_rate=eng.metrics["er_followers"],
        metrics=eng.metrics,
        metric_z=eng.z,
        posts_used=eng.posts_used,
        views_posts_used=eng.views_posts_used,
        snapshot_count=snapshot_count,
        flags=flags,
        authenticity=authenticity,
        audience_authenticity=audience_auth,
        flag_factor=flag_factor,
        estimated_reach=reach.estimated_reach,
        reach=reach,
        components=values,
        effective_weights=effective,
        contributions=contributions,
        score=score,
        engagement_capped=capped,
        confidence=confidence,
        centrality_given=centrality is not None,
        benchmarks=eng.benchmarks,
        _engagement=eng,
        _audience=aud,
    )
    return result
