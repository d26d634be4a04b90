"""The scoring entry point: :func:`score_creators` and its :class:`ScoringResult`.

Pure computation over :class:`~influencers.scoring.inputs.ScoringInputs`: no
database, no web framework. Every output number is labelled ``measured`` (read
from the data: counts, medians of counts) or ``estimated`` (inferred: shares from
a sample, benchmarks, reach, scores), with its sample size and as-of date.
"""
from __future__ import annotations

from dataclasses import dataclass, field

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
from influencers.scoring.fraud import FlagResult, detect_fraud
from influencers.scoring.inputs import PLATFORMS, ScoringInputs
from influencers.scoring.model import COMPONENTS, DEFAULT_MODEL, FLAGS, ScoringModel
from influencers.scoring.reach import BASES, ReachResult, estimate_reach

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


def _day(x) -> str | None:
    return None if np.isnat(x) else str(np.datetime64(x, "D"))


def _num(value, kind: str, **extra) -> dict:
    out = {"value": _f(value) if not isinstance(value, (int, np.integer)) else int(value), "kind": kind}
    out.update(extra)
    return out


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
        out = []
        for name in FLAGS:
            flag = self.flags[name]
            if flag.flagged[i]:
                out.append({
                    "name": name,
                    "description": flag.description,
                    "strength": _num(flag.strength[i], "estimated"),
                    "penalty": _num(self.model.penalty(name) * (0.5 + 0.5 * flag.strength[i]), "estimated",
                                    description="share of the authenticity this flag removes: "
                                    "model penalty x (0.5 + 0.5 x strength)"),
                    "evidence": flag.evidence.get(int(i), {}),
                })
        return out

    def missing(self, i: int) -> list[str]:
        out = []
        if self.sample_size[i] == 0:
            out.append("audience sample")
        if self.posts_used[i] == 0:
            out.append("posts")
        if self.snapshot_count[i] < 2:
            out.append("follower snapshots")
        if not self.centrality_given or np.isnan(self.components["centrality"][i]):
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

    def explanation(self, i: int) -> dict:
        """Everything behind creator ``i``'s score, JSON-able (no nan: missing is None)."""
        i = int(i)
        p, tier = int(self.platform[i]), int(self.tier[i])
        n = int(self.sample_size[i])
        sampled = n > 0
        sample_date = _day(self.sample_date[i])
        fake_source = FAKE_SHARE_SOURCES[self.fake_share_source[i]]
        prior_source = FAKE_SHARE_SOURCES[int(self.prior_source[i])]
        strength = int(self.model.threshold("prior_strength_members"))
        shrink = (f"(sample count + {strength} x prior) / (sample size + {strength}): the sample share shrunk "
                  f"toward the prior ({prior_source}); used by authenticity and reach")

        components, left_out = [], []
        for c in COMPONENTS:
            value = self.components[c][i]
            if np.isnan(value):
                reason = ("no centrality given" if c == "centrality" and not self.centrality_given
                          else f"no data for {c}")
                left_out.append({"name": c, "weight": self.model.weight(c),
                                 "reason": reason + "; the other weights are renormalised"})
                continue
            components.append({
                "name": c, "value": _f(value), "kind": "estimated",
                "weight": self.model.weight(c), "effective_weight": _f(self.effective_weights[c][i]),
                "contribution": _f(self.contributions[c][i]), "description": COMPONENT_DESCRIPTIONS[c],
            })
            if c == "engagement" and self.engagement_capped[i]:
                components[-1]["capped_at_benchmark"] = "a flag says engagement is inflated (" + ", ".join(
                    f for f in INFLATING_FLAGS if self.flags[f].flagged[i]) + ")"

        posts_used = int(self.posts_used[i])
        engagement = {}
        for m, description in METRICS.items():
            count = int(self.views_posts_used[i]) if m in ("er_views", "likes_per_view") else posts_used
            engagement[m] = _num(self.metrics[m][i], "measured", n_posts=count, description=description,
                                 robust_z=_f(self.metric_z[m][i]),
                                 benchmark=self.benchmarks[m].describe(p, tier) | {"kind": "estimated"})

        audience = {
            "sample_size": n,
            "sampled_at": sample_date,
            "fake_follower_share": _num(
                self.fake_follower_share[i], "estimated", n=n, source=fake_source,
                interval_95=[_f(self.fake_follower_share_low[i]), _f(self.fake_follower_share_high[i])]
                if sampled else None, as_of=sample_date),
            "types": {t: _num(self.type_shares[t][i], "estimated", n=n) for t in MEMBER_TYPES} if sampled else None,
            "reachable_share": _num(self.reachable_share[i], "estimated", n=n, source=fake_source,
                                    description="members following fewer than "
                                    f"{int(self.model.threshold('mass_follower_following'))} accounts"),
            "fake_share_used": _num(self.fake_share_used[i], "estimated", n=n, description=shrink,
                                    prior=_f(self.prior_fake_share[i])),
            "reachable_share_used": _num(self.reachable_share_used[i], "estimated", n=n, description=shrink,
                                         prior=_f(self.prior_reachable_share[i])),
        }

        r = self.reach
        basis = BASES[r.basis[i]]
        reach = {
            "estimated_reach": _num(self.estimated_reach[i], "estimated" if basis == "followers" else "measured",
                                    basis=basis),
            "follower_based": _num(r.follower_based_reach[i], "estimated",
                                   formula="followers x (1 - fake share) x reachable share x reach rate"),
            "views_based": _num(r.views_based_reach[i], "measured", n_posts=int(self.views_posts_used[i]),
                                description="median views of recent posts (video platforms)"),
            "inputs": {
                "followers": _num(self.followers[i], "measured", as_of=_day(self.as_of[i])),
                "fake_share_used": _num(self.fake_share_used[i], "estimated", n=n),
                "reachable_share_used": _num(self.reachable_share_used[i], "estimated", n=n),
                "reach_rate": _num(r.reach_rate[i], "estimated", source=f"model {self.model.version}"),
            },
        }

        flag_list = self.flags_for(i)
        notes = {}
        for flag in self.flags.values():
            if i in flag.notes:
                notes[flag.name] = flag.notes[i]
        return {
            "creator_id": int(self.creator_ids[i]),
            "handle": None if self.handles is None else str(self.handles[i]),
            "platform": PLATFORMS[p],
            "tier": TIERS[tier],
            "as_of": _day(self.as_of[i]),
            "model_version": self.model.version,
            "score": _num(self.score[i], "estimated", description="weighted mean of the components, 0-100"),
            "components": components,
            "left_out_components": left_out,
            "authenticity": _num(
                self.authenticity[i], "estimated",
                description="100 x (1 - fake share used) x product over flags of (1 - penalty x severity)",
                audience_authenticity=_f(self.audience_authenticity[i]),
                flag_factor=_f(self.flag_factor[i])),
            "audience": audience,
            "engagement": engagement,
            "reach": reach,
            "flags": flag_list,
            "notes": notes,
            "sample_size": n,
            "posts_used": posts_used,
            "snapshots": int(self.snapshot_count[i]),
            "confidence": _num(self.confidence[i], "estimated", missing=self.missing(i)),
        }



def _prior_share(measured: np.ndarray, platform: np.ndarray, sampled: np.ndarray, prior: float):
    """Per creator: the median share of the sampled creators of its platform (when at least
    MIN_SAMPLES_FOR_PRIOR are sampled), else ``prior``; and which one (1 or 2 in FAKE_SHARE_SOURCES)."""
    n_platforms = len(PLATFORMS)
    count = grouped.counts(platform, n_platforms, sampled)
    med = grouped.median(platform, np.where(sampled, measured, np.nan), n_platforms)
    use_platform = count[platform] >= MIN_SAMPLES_FOR_PRIOR
    return np.where(use_platform, med[platform], prior), np.where(use_platform, 1, 2)


def score_creators(inputs: ScoringInputs, model: ScoringModel = DEFAULT_MODEL,
                   centrality: np.ndarray | None = None, pods: dict[int, dict] | None = None) -> ScoringResult:
    """Score every creator of ``inputs`` with ``model``.

    ``centrality``: optional per-creator values in [0, 1] from the graph module
    (``nan`` for a creator it could not place). Without it the centrality
    component is left out and the other weights renormalised. ``pods``: optional
    comment-cluster evidence per creator index from the graph module
    (:func:`influencers.graph.pods.pod_evidence`), added to the ``comment_pod`` flag's evidence.
    """
    n = inputs.n_creators
    aud = audience_authenticity(inputs, model)
    eng = engagement_metrics(inputs, model)
    flags = detect_fraud(inputs, aud, eng, model, pods=pods)

    size = aud.sample_size
    sampled = size > 0
    prior_fake, prior_source = _prior_share(aud.fake_share, inputs.platform, sampled, model.threshold("prior_fake_share"))
    prior_reachable, _ = _prior_share(aud.reachable_share, inputs.platform, sampled,
                                      model.threshold("prior_reachable_share"))
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
