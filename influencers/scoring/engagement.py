"""Engagement metrics per creator, robust to a single viral post, and their z-scores.

All four metrics are medians over the creator's ``recent_posts`` latest posts
(comments/likes over the non-contest ones, since giveaways ask for comments),
so one viral or one giveaway post barely moves them.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from influencers.scoring import grouped
from influencers.scoring.benchmarks import METRICS, Benchmarks, compute_benchmarks, follower_tier
from influencers.scoring.inputs import ScoringInputs
from influencers.scoring.model import ScoringModel

if TYPE_CHECKING:
    from influencers.scoring.peers import ActivityPeers


@dataclass
class PostFrame:
    """Per-post derived values, in the order of the input posts."""

    recent: np.ndarray             # among the creator's latest ``recent_posts``
    engagement: np.ndarray         # likes + comments
    er_followers: np.ndarray
    er_views: np.ndarray           # nan without views
    comments_per_like: np.ndarray  # (comments + 0.5) / (likes + 1): defined for 0 counts
    likes_per_view: np.ndarray     # nan without views
    engagement_ratio: np.ndarray   # engagement / the creator's median engagement
    views_ratio: np.ndarray        # views / the creator's median views
    viral: np.ndarray              # engagement or views >= viral_ratio x the creator's median
    day: np.ndarray                # published date (datetime64[D])
    z_likes_per_view: np.ndarray   # robust z against the post-level platform x tier benchmark
    z_comments_per_like: np.ndarray
    # (z_likes_per_view - z_comments_per_like) / sqrt 2; -z_comments_per_like without views
    likes_excess_z: np.ndarray


@dataclass
class EngagementResult:
    tier: np.ndarray
    posts_used: np.ndarray         # recent posts the medians are over
    views_posts_used: np.ndarray   # ... of which report views
    post_count: np.ndarray         # all posts given for the creator
    last_post_at: np.ndarray       # datetime64[s], NaT without posts
    metrics: dict[str, np.ndarray]  # METRICS name -> per-creator median (nan when not computable)
    z: dict[str, np.ndarray]        # METRICS name -> robust z against platform x tier
    median_engagement: np.ndarray
    median_views: np.ndarray
    posts: PostFrame
    benchmarks: Benchmarks
    # The workspace's activity peer statistics these were scored against, when given (a chunk
    # of a chunked run, see influencers.scoring.peers); None: every peer group is the inputs'.
    peers: ActivityPeers | None = None


def _ratio(num, den) -> np.ndarray:
    num = np.asarray(num, float)
    den = np.asarray(den, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / den, np.nan)


def engagement_metrics(inputs: ScoringInputs, model: ScoringModel,
                       peers: ActivityPeers | None = None) -> EngagementResult:
    """Per creator: the engagement metrics and their z against the platform x tier benchmarks:
    those of ``peers`` (the whole workspace's, computed by a chunked run's first pass) when
    given, else those of ``inputs`` themselves."""
    n = inputs.n_creators
    t = model.threshold
    creator = inputs.post_creator
    likes, comments, views = inputs.post_likes, inputs.post_comments, inputs.post_views
    published = inputs.post_published_at.astype("datetime64[s]").astype(np.int64)

    rank = grouped.rank_within_group(creator, -published)  # 0 = newest
    recent = rank < t("recent_posts")
    engagement = likes + comments
    followers = inputs.followers[creator]
    has_views = views > 0

    post = {
        "er_followers": _ratio(engagement, followers),
        "er_views": np.where(has_views, _ratio(engagement, views), np.nan),
        "comments_per_like": (comments + 0.5) / (likes + 1.0),
        "likes_per_view": np.where(has_views, _ratio(likes, views), np.nan),
    }

    def recent_median(values, mask=None):
        keep = recent if mask is None else (recent & mask)
        return grouped.median(creator, np.where(keep, values, np.nan), n)

    metrics = {
        "er_followers": recent_median(post["er_followers"]),
        "er_views": recent_median(post["er_views"]),
        "likes_per_view": recent_median(post["likes_per_view"]),
    }
    # Comments per like, pooled over the recent non-contest posts (all recent posts when
    # every one is a contest): a handful of comments per post makes per-post ratios
    # (and their median) jump between 0 and a few percent on small accounts.
    ordinary = recent & ~inputs.post_is_contest
    has_ordinary = grouped.counts(creator, n, ordinary) > 0
    pool = np.where(has_ordinary[creator], ordinary, recent)
    pooled_comments = grouped.sums(creator, np.where(pool, comments, 0.0), n)
    pooled_likes = grouped.sums(creator, np.where(pool, likes, 0.0), n)
    metrics["comments_per_like"] = np.where(
        grouped.counts(creator, n, pool) > 0, (pooled_comments + 0.5) / (pooled_likes + 1.0), np.nan)

    median_engagement = recent_median(engagement)
    median_views = recent_median(np.where(has_views, views, np.nan))
    with np.errstate(divide="ignore", invalid="ignore"):
        engagement_ratio = engagement / median_engagement[creator]
        views_ratio = np.where(has_views, views / median_views[creator], np.nan)
    viral = (engagement_ratio >= t("viral_ratio")) | (views_ratio >= t("viral_ratio"))

    tier = follower_tier(inputs.followers)
    post_tier = tier[creator]
    post_platform = inputs.platform[creator]
    if peers is not None:
        benchmarks = peers.benchmarks
    else:
        benchmarks = compute_benchmarks(inputs.platform, tier, metrics, post_platform, post_tier,
                                        benchmark_post_values(inputs, post), int(t("benchmark_min_creators")))
    z = {m: benchmarks[m].z(metrics[m], inputs.platform, tier) for m in METRICS}
    z_lpv = benchmarks["post_likes_per_view"].z(post["likes_per_view"], post_platform, post_tier)
    z_cpl = benchmarks["post_comments_per_like"].z(post["comments_per_like"], post_platform, post_tier)
    likes_excess = np.where(np.isnan(z_lpv), -z_cpl, (z_lpv - z_cpl) / np.sqrt(2))

    last = np.full(n, np.datetime64("NaT", "s"))
    if len(creator):
        latest = np.full(n, np.iinfo(np.int64).min)
        np.maximum.at(latest, creator, published)
        has = latest > np.iinfo(np.int64).min
        last[has] = latest[has].astype("datetime64[s]")

    return EngagementResult(
        tier=tier,
        posts_used=grouped.counts(creator, n, recent),
        views_posts_used=grouped.counts(creator, n, recent & has_views),
        post_count=grouped.counts(creator, n),
        last_post_at=last,
        metrics=metrics,
        z=z,
        median_engagement=median_engagement,
        median_views=median_views,
        posts=PostFrame(
            recent=recent,
            engagement=engagement,
            er_followers=post["er_followers"],
            er_views=post["er_views"],
            comments_per_like=post["comments_per_like"],
            likes_per_view=post["likes_per_view"],
            engagement_ratio=engagement_ratio,
            views_ratio=views_ratio,
            viral=viral,
            day=inputs.post_published_at.astype("datetime64[D]"),
            z_likes_per_view=z_lpv,
            z_comments_per_like=z_cpl,
            likes_excess_z=likes_excess,
        ),
        benchmarks=benchmarks,
        peers=peers,
    )


def benchmark_post_values(inputs: ScoringInputs, post) -> dict[str, np.ndarray]:
    """The per-post values of the post-level benchmarks (``POST_METRICS``); ``post``: a
    :class:`PostFrame` or the dict of per-post ratios :func:`engagement_metrics` makes."""
    get = post.get if isinstance(post, dict) else lambda name: getattr(post, name)
    return {"post_comments_per_like": np.where(inputs.post_is_contest, np.nan, get("comments_per_like")),
            "post_likes_per_view": get("likes_per_view")}
