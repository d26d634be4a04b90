"""The scoring model: named weights, thresholds and reach rates, as plain data.

A workspace has one active model. It is a JSON document (``to_dict`` /
``from_dict``), never a pickle, so it can be stored in a column, diffed,
edited through the API and later fitted with scikit-learn by writing new
numbers into the same fields. ``version`` names the numbers used for a score
and is reported in every explanation.
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

COMPONENTS = ("authenticity", "engagement", "reach", "centrality")
FLAGS = ("bought_followers", "follower_spike", "bought_likes", "comment_pod", "following_churn",
         "drip_followers", "suspicious_audience", "bought_engagement")

# What each platform lacks, so that a rule needing it abstains (and says so) instead of
# firing on zeros. "comments": posts carry no comments (WhatsApp channels, most blogs);
# "follower_growth": the count is not an audience that can be bought gradually
# (LinkedIn counts mutual connections, blogs have no follower graph).
PLATFORM_LACKS: dict[str, tuple[str, ...]] = {
    "whatsapp": ("comments",),
    "blog": ("comments", "follower_growth"),
    "linkedin": ("follower_growth",),
}
# Which input each rule needs (a rule abstains for a creator lacking it).
RULE_INPUTS: dict[str, tuple[str, ...]] = {
    "bought_likes": ("comments",),
    "comment_pod": ("comments",),
    "follower_spike": ("follower_growth",),
    "drip_followers": ("follower_growth",),
}

DEFAULT_WEIGHTS: dict[str, float] = {
    "authenticity": 0.40,
    "engagement": 0.25,
    "reach": 0.20,
    "centrality": 0.15,
}

# How much of the authenticity a flag removes at full strength (a flag that
# just crosses its threshold removes half of it). Authenticity is
# 100 x (1 - fake share) x product over flags of (1 - penalty x severity).
DEFAULT_FLAG_PENALTIES: dict[str, float] = {
    "bought_followers": 0.50,
    "follower_spike": 0.50,
    "bought_likes": 0.60,
    "comment_pod": 0.60,
    "following_churn": 0.40,
    "drip_followers": 0.50,
    "suspicious_audience": 0.50,
    "bought_engagement": 0.60,
}

DEFAULT_THRESHOLDS: dict[str, float] = {
    # audience member classification (Cresci et al. 2015 class A / Camisani-Calzolari / Socialbakers rules)
    "mass_follower_following": 1500,       # HypeAuditor: follows more than 1,500 accounts
    "bot_min_followers": 30,              # Cresci A: a human has at least 30 followers
    "bot_max_posts": 0,                   # Socialbakers: never posted
    "bot_following_ratio": 50,            # Socialbakers: following/followers >= 50
    "bot_no_bio_following": 100,          # Socialbakers: no bio and following > 100
    "bot_new_account_days": 180,          # account created less than six months before the sample
    "bot_min_indicators": 2,              # bot-like: this many indicators, one of them behavioural
    "inactive_days": 180,                 # no post in the 180 days before the sample
    "wilson_confidence": 0.95,
    "prior_fake_share": 0.10,             # fake share prior when the platform has < 10 sampled creators
    "prior_reachable_share": 0.80,        # reachable share prior, likewise
    "prior_strength_members": 20,         # samples are shrunk toward the prior with this many pseudo-members
    # engagement
    "recent_posts": 24,                   # engagement medians over the latest N posts
    "benchmark_min_creators": 30,         # a platform x tier cell needs this many creators
    "viral_ratio": 3.0,                   # a post with 3x the creator's median engagement (or views) is viral
    # bought followers
    "bought_followers_share": 0.12,       # suspicious share (Wilson lower bound) above this
    "bought_followers_low_engagement_share": 0.10,  # ... or above this with engagement far below tier
    "low_engagement_z": -2.0,
    # follower growth spike
    "spike_z": 8.0,                       # robust z-score of a daily follower delta
    "spike_min_gain_share": 0.05,         # an episode of spiking days gaining at least 5% of the followers
    "spike_window_days_before": 3,        # a viral post up to 3 days before (or on the day) explains it
    "spike_window_days_after": 0,
    # bought likes (per post)
    "bought_likes_post_z": 3.0,
    "bought_likes_min_posts": 3,
    "bought_likes_min_post_share": 0.25,
    "bought_likes_creator_z": 3.0,        # combined z of the creator's medians
    # comment pods
    "pod_post_z": 2.5,                    # comments/likes of a non-contest post above tier
    "pod_min_posts": 3,
    "pod_min_post_share": 0.25,
    "pod_min_reciprocal": 2,              # creators commenting on it that it comments on too
    "pod_creator_z": 2.0,                 # with partners: pooled comments/likes z above this ...
    "pod_comments_only_z": 2.5,           # without partners: most posts (pod_most_posts_share) and a z above this
    "pod_graph_only_reciprocal": 4,       # without posts: this many partners ...
    "pod_graph_only_clustering": 0.5,     # ... themselves this densely connected
    # following churn
    "churn_min_ratio": 0.5,               # (gross - net following movement) / mean following
    "churn_min_accounts": 300,
    "churn_min_reversals": 2,
    # --- default-2 --------------------------------------------------------------------
    # young audiences: a member whose age range is 13-17 is a teenager; a new account counts
    # as bot-like behaviour only when it follows many accounts or was created in a batch
    "new_account_min_following": 400,
    "batch_min_members": 20,              # members created on one day, at least ...
    "batch_factor": 8.0,                  # ... this many times the median day of the surrounding 61
    # audience signals against peers (peer group: creators of the same country; niche for inactivity)
    "peer_min_creators": 5,               # a peer group needs this many sampled creators, else all creators
    "foreign_peer_share": 0.02,           # a country (language) under this share in the median peer audience is foreign
    "farm_min_creators": 3,               # a member sampled by this many creators, no more than this share
    "farm_max_related_share": 0.5,        # of them sharing a category, nor a country (or language), is farm-shared
    "suspicious_audience_share": 0.15,    # farm-shared or foreign-dormant share (Wilson low bound) above this
    # default-4: foreign members dormant far more often than local ones (youth left out): binomial p at
    # the local share's upper bound below this, the foreign share this many times the local one and
    # at least dormancy_contrast_min_rate (mostly dormant, as aged bots; a real audience abroad is
    # mostly active), and the foreign dormant share of the sample (Wilson low bound) above
    # dormancy_contrast_share
    "dormancy_contrast_max_p": 0.001,
    "dormancy_contrast_ratio": 2.0,
    "dormancy_contrast_min_rate": 0.5,
    "dormancy_contrast_share": 0.05,
    "inactive_excess": 0.25,              # inactive share above the niche peers' median by this (reported)
    # drip-fed followers: growth windows of 14..70 days
    "drip_min_window_days": 14,
    "drip_max_window_days": 70,
    "drip_min_gain_share": 0.06,          # the window gains at least this share of its starting followers
    "drip_peer_z": 4.0,                   # window daily growth, robust z against platform x tier peers
    "drip_own_ratio": 3.0,                # ... and this many times the creator's own growth outside the window
    "drip_max_jump_share": 0.5,           # no 3 days hold more than this share of the window's gain (else a spike)
    "drip_max_elasticity": 0.5,           # log(engagement change) / log(follower change) below this
    "drip_min_posts": 3,                  # posts before and in the window, each
    "drip_audience_share": 0.25,          # engagement not conclusive: fake share above the platform's median by
                                          # this x the share of today's followers the window added (default-3) ...
    "drip_audience_max_p": 0.001,         # ... and beyond chance: binomial p at the median share below this
    "drip_elasticity_z": 1.64,            # the elasticity's upper bound (+ this x its SE) below 1 (default-3)
    "drip_noise_share": 0.10,             # an undecided window adding under this share of followers is said to be
                                          # within the posts' and the sample's noise (default-4; reported only)
    "prior_daily_growth": 0.001,          # peer growth when the platform x tier has < peer_min_creators
    "prior_daily_growth_scale": 0.001,
    # featured by a bigger account
    "featured_days_before": 1,            # a mention up to 1 day after the jump started ...
    "featured_days_after": 4,             # ... or 4 days before it
    # bought engagement in natural proportion
    "engagement_post_z": 3.0,             # a post's engagement per view (per follower) z above the tier
    "engagement_min_post_share": 0.3,
    "engagement_min_posts": 3,
    "engagement_views_z": 3.0,            # creator's median engagement per view z
    "engagement_followers_z": 3.5,        # without views: engagement per follower z ...
    "engagement_followers_post_share": 0.5,  # ... on at least this share of posts
    "engagement_own_ratio": 3.0,          # a post at this many times the creator's 20th-percentile engagement ...
    "engagement_own_share": 0.3,          # ... on this share of posts (at least engagement_min_posts + 1) ...
    "engagement_own_tier_z": 1.0,         # ... with the creator's engagement above the tier by this z
    "pod_most_posts_share": 0.5,          # a pod without partners: this share of posts ...
    "pod_most_posts_z": 1.0,              # ... with comments per like above the tier by this z
    "pod_comments_only_ratio": 2.0,       # ... and the creator's comments per like this many times the tier's
    # --- default-3 --------------------------------------------------------------------
    # posts far above the creator's own quiet posts (own_baseline.py): z x the platform's robust SD
    # of a post around its creator's median; flagged when the count is improbable at the platform's
    # rate of such posts (binomial p below own_excess_max_p) and a material share of posts
    "own_excess_z": 3.0,
    "own_excess_max_p": 0.001,
    "own_excess_min_share": 0.25,
    # reach component scale (log10 of estimated reach)
    "reach_log10_floor": 2.0,
    "reach_log10_ceiling": 7.0,
}

# Share of a creator's authentic, reachable followers who see a typical post
# (organic reach). Assumptions from public industry reports, to be refitted.
DEFAULT_REACH_RATES: dict[str, float] = {
    "instagram": 0.20, "tiktok": 0.25, "youtube": 0.15, "twitter": 0.05,
    "facebook": 0.06, "linkedin": 0.10, "snapchat": 0.20, "tumblr": 0.05,
    "whatsapp": 0.30, "twitch": 0.05, "pinterest": 0.05, "blog": 0.10,
}


@dataclass(frozen=True)
class ScoringModel:
    version: str
    weights: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    thresholds: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_THRESHOLDS))
    reach_rates: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_REACH_RATES))
    flag_penalties: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_FLAG_PENALTIES))

    def __post_init__(self) -> None:
        problems = []
        for name in self.weights:
            if name not in COMPONENTS:
                problems.append(f"unknown component weight {name!r}")
        for name in self.flag_penalties:
            if name not in FLAGS:
                problems.append(f"unknown flag penalty {name!r}")
        for name in self.thresholds:
            if name not in DEFAULT_THRESHOLDS:
                problems.append(f"unknown threshold {name!r}")
        for group in (self.weights, self.thresholds, self.reach_rates, self.flag_penalties):
            for name, value in group.items():
                if not isinstance(value, (int, float)) or isinstance(value, bool) or value != value:
                    problems.append(f"{name!r} must be a number")
        if any(w < 0 for w in self.weights.values()):
            problems.append("weights must be >= 0")
        if not any(self.weights.get(c, 0) > 0 for c in COMPONENTS if c != "centrality"):
            problems.append("at least one of authenticity, engagement, reach needs a positive weight")
        if any(not 0 <= p <= 1 for p in self.flag_penalties.values()):
            problems.append("flag penalties must be in [0, 1]")
        if any(not 0 <= r <= 1 for r in self.reach_rates.values()):
            problems.append("reach rates must be in [0, 1]")
        if problems:
            raise ValueError("invalid scoring model: " + "; ".join(problems))

    def threshold(self, name: str) -> float:
        """A threshold; ones the stored model lacks fall back to the shipped default."""
        return float(self.thresholds.get(name, DEFAULT_THRESHOLDS[name]))

    def weight(self, component: str) -> float:
        return float(self.weights.get(component, 0.0))

    def penalty(self, flag: str) -> float:
        return float(self.flag_penalties.get(flag, DEFAULT_FLAG_PENALTIES[flag]))

    def reach_rate(self, platform: str) -> float:
        return float(self.reach_rates.get(platform, 0.10))

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "weights": dict(self.weights),
            "thresholds": dict(self.thresholds),
            "reach_rates": dict(self.reach_rates),
            "flag_penalties": dict(self.flag_penalties),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ScoringModel:
        unknown = set(data) - {"version", "weights", "thresholds", "reach_rates", "flag_penalties"}
        if unknown:
            raise ValueError(f"invalid scoring model: unknown fields {sorted(unknown)}")
        if not isinstance(data.get("version"), str) or not data["version"]:
            raise ValueError("invalid scoring model: 'version' must be a non-empty string")
        return cls(
            version=data["version"],
            weights=dict(data.get("weights", DEFAULT_WEIGHTS)),
            thresholds={**DEFAULT_THRESHOLDS, **data.get("thresholds", {})},
            reach_rates={**DEFAULT_REACH_RATES, **data.get("reach_rates", {})},
            flag_penalties={**DEFAULT_FLAG_PENALTIES, **data.get("flag_penalties", {})},
        )

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> ScoringModel:
        return cls.from_dict(json.loads(text))

    def with_changes(self, version: str, **groups: Mapping[str, float]) -> ScoringModel:
        """A copy with some numbers changed, under a new version string."""
        merged = {k: {**getattr(self, k), **v} for k, v in groups.items()}
        return replace(self, version=version, **merged)


DEFAULT_MODEL = ScoringModel(version="default-4")
# The shipped defaults before this one: a workspace still on one of them (unedited) moves to
# DEFAULT_MODEL; the scores they made stay stored under their version.
PREVIOUS_DEFAULT_VERSIONS = ("default-1", "default-2", "default-3")
