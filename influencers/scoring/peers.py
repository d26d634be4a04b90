"""Workspace-level peer statistics of the activity scores, gathered creator range by creator range.

A chunked scoring run scores a workspace a range of creators at a time. What a creator is
compared with is its peers', the whole workspace's: the engagement benchmarks (platform x
tier medians and MADs of the creators' medians and of the posts' values), the drip peers
(per growth window, platform x tier median and MAD of the creators' best daily growth) and
the own-baseline platform statistics (spread of posts around their creator's median, share
of posts far above their creator's baseline). Each is a statistic of per-creator or per-post
values that a creator's own data determines, so a first pass gathers those values range by
range (:func:`gather_activity`: a few floats per creator and per post, no inputs kept) and
computes the statistics once (:meth:`ActivityValues.peers`); each range is then scored
against them (``engagement_metrics(..., peers=)``), with the same result as scoring the
whole workspace at once: medians and MADs of the same values, in any order.

:class:`ActivityStatistics` gathers them in bounded memory: the per-creator values (a few
floats a creator) stay in memory, the per-post ones (most of them) are spilled to files and
their exact medians selected from there (:mod:`influencers.scoring.spilled`).

Pure: arrays in, arrays out; no session.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from influencers.scoring import grouped
from influencers.scoring.benchmarks import (
    DEFAULT_BENCHMARKS,
    METRICS,
    N_TIERS,
    POST_METRICS,
    Benchmarks,
    CellStatistics,
    compute_benchmarks,
    safe_log10,
)
from influencers.scoring.engagement import benchmark_post_values, engagement_metrics
from influencers.scoring.fraud import CommentGraph, comments_own_inputs
from influencers.scoring.fraud_hidden import DripPeers, drip_best_rates, engagement_own_inputs
from influencers.scoring.grouped import MAD_TO_SD
from influencers.scoring.inputs import PLATFORMS, ScoringInputs
from influencers.scoring.model import ScoringModel
from influencers.scoring.own_baseline import OwnBaselinePeers, OwnBaselinePosts, own_baseline_posts
from influencers.scoring.spilled import SpilledColumns, group_counts, grouped_medians


@dataclass
class ActivityPeers:
    """The workspace's activity peer statistics (see the module docstring)."""

    benchmarks: Benchmarks
    drip: list[DripPeers]           # per growth window (fraud_hidden._windows)
    own_comments: OwnBaselinePeers  # comment pods: log comments per like
    own_engagement: OwnBaselinePeers  # bought engagement: log engagement per follower
    graph: CommentGraph | None = None  # the whole workspace's comment graph and featuring edges


@dataclass
class ActivityValues:
    """What :class:`ActivityPeers` are computed from, for some creators."""

    platform: np.ndarray                  # per creator
    tier: np.ndarray
    metrics: dict[str, np.ndarray]        # METRICS, per creator
    post_platform: np.ndarray             # per post
    post_tier: np.ndarray
    post_metrics: dict[str, np.ndarray]   # POST_METRICS, per post (nan: no value)
    drip: list[tuple[np.ndarray, np.ndarray]]  # per window: (group, best rate) of creators with one
    own_comments: OwnBaselinePosts
    own_engagement: OwnBaselinePosts

    @classmethod
    def concatenate(cls, parts: list[ActivityValues]) -> ActivityValues:
        """The values of all the parts' creators (parts of one workspace, same model)."""
        def cat(get):
            return np.concatenate([get(p) for p in parts])

        return cls(
            platform=cat(lambda p: p.platform), tier=cat(lambda p: p.tier),
            metrics={m: cat(lambda p, m=m: p.metrics[m]) for m in METRICS},
            post_platform=cat(lambda p: p.post_platform), post_tier=cat(lambda p: p.post_tier),
            post_metrics={m: cat(lambda p, m=m: p.post_metrics[m]) for m in POST_METRICS},
            drip=[(cat(lambda p, k=k: p.drip[k][0]), cat(lambda p, k=k: p.drip[k][1]))
                  for k in range(len(parts[0].drip))],
            own_comments=OwnBaselinePosts.concatenate([p.own_comments for p in parts]),
            own_engagement=OwnBaselinePosts.concatenate([p.own_engagement for p in parts]),
        )

    def peers(self, model: ScoringModel, graph: CommentGraph | None = None) -> ActivityPeers:
        """The statistics of these values; ``graph``: the workspace's edge statistics (read apart: edges
        join creators of different ranges)."""
        t = model.threshold
        z = t("own_excess_z")
        return ActivityPeers(
            benchmarks=compute_benchmarks(self.platform, self.tier, self.metrics, self.post_platform, self.post_tier,
                                          self.post_metrics, int(t("benchmark_min_creators"))),
            drip=[DripPeers.of(group, best) for group, best in self.drip],
            own_comments=self.own_comments.peers(len(PLATFORMS), z),
            own_engagement=self.own_engagement.peers(len(PLATFORMS), z),
            graph=graph,
        )


_OWN = ("own_comments", "own_engagement")


class ActivityStatistics:
    """:class:`ActivityValues` added range by range, whose :meth:`peers` are those of all of them
    concatenated: the per-creator values kept, the per-post ones spilled to ``directory``."""

    def __init__(self, directory: Path):
        self.creators: list[ActivityValues] = []  # each without its per-post values
        self.posts = SpilledColumns(directory, "activity-posts", {"platform": np.int8, "tier": np.int8,
                                                                  **{m: np.float64 for m in POST_METRICS}})
        self.own = {name: SpilledColumns(directory, f"activity-{name}", {"platform": np.int8, "deviation": np.float64,
                                                                         "excess": np.float64})
                    for name in _OWN}

    def add(self, values: ActivityValues) -> None:
        self.posts.append(platform=values.post_platform, tier=values.post_tier, **values.post_metrics)
        for name in _OWN:
            posts: OwnBaselinePosts = getattr(values, name)
            self.own[name].append(platform=posts.platform, deviation=posts.deviation, excess=posts.excess)
        no_posts = np.zeros(0, dtype=np.int8)
        self.creators.append(replace(
            values, post_platform=no_posts, post_tier=no_posts, post_metrics={m: np.zeros(0) for m in POST_METRICS},
            **{name: OwnBaselinePosts(no_posts, np.zeros(0), np.zeros(0), getattr(values, name).creator_platform)
               for name in _OWN}))

    def peers(self, model: ScoringModel, graph: CommentGraph | None = None) -> ActivityPeers:
        """:meth:`ActivityValues.peers` of every range added."""
        creators = ActivityValues.concatenate(self.creators)
        t = model.threshold
        return ActivityPeers(
            benchmarks=compute_benchmarks(creators.platform, creators.tier, creators.metrics, None, None, None,
                                          int(t("benchmark_min_creators")), post_statistics=self._post_statistics()),
            drip=[DripPeers.of(group, best) for group, best in creators.drip],
            own_comments=self._own_peers("own_comments", creators.own_comments.creator_platform, t("own_excess_z")),
            own_engagement=self._own_peers("own_engagement", creators.own_engagement.creator_platform,
                                           t("own_excess_z")),
            graph=graph,
        )

    def _post_statistics(self) -> dict[str, CellStatistics]:
        """Per post metric, the cell statistics ``benchmarks.compute_table`` computes in memory:
        groups ``k * width + cell`` (log10 values by cell) and ``k * width + n_cells + platform``
        (residuals from the defaults by platform) of metric ``k``."""
        n_platforms = len(PLATFORMS)
        n_cells = n_platforms * N_TIERS
        width = n_cells + n_platforms
        log_default = {m: np.log10(DEFAULT_BENCHMARKS[m]) for m in POST_METRICS}

        def logs():
            for block in self.posts.blocks():
                platform, tier = block["platform"].astype(np.int64), block["tier"].astype(np.int64)
                for k, m in enumerate(POST_METRICS):
                    logv = safe_log10(block[m])
                    yield (np.concatenate([k * width + platform * N_TIERS + tier, k * width + n_cells + platform]),
                           np.concatenate([logv, logv - log_default[m][platform, tier]]))

        n_groups = len(POST_METRICS) * width
        counts = group_counts(logs, n_groups)
        median = grouped_medians(logs, n_groups, counts)

        def deviations():
            for group, value in logs():
                yield group, np.abs(value - median[group])

        mad = grouped_medians(deviations, n_groups, counts)
        out = {}
        for k, m in enumerate(POST_METRICS):
            cells, platforms = slice(k * width, k * width + n_cells), slice(k * width + n_cells, (k + 1) * width)
            out[m] = CellStatistics(counts[cells], median[cells], mad[cells], counts[platforms], median[platforms],
                                    mad[platforms])
        return out

    def _own_peers(self, name: str, creator_platform: np.ndarray, z: float) -> OwnBaselinePeers:
        """``OwnBaselinePosts.peers`` of the spilled posts."""
        n_platforms = len(PLATFORMS)
        spilled = self.own[name]

        def deviations():
            for block in spilled.blocks():
                yield block["platform"].astype(np.int64), block["deviation"]

        scale = MAD_TO_SD * grouped_medians(deviations, n_platforms)
        far = np.zeros(n_platforms, dtype=np.int64)
        posts = np.zeros(n_platforms, dtype=np.int64)
        for block in spilled.blocks():
            platform = block["platform"].astype(np.int64)
            far += grouped.counts(platform, n_platforms, block["excess"] > z * scale[platform])
            posts += grouped.counts(platform, n_platforms)
        return OwnBaselinePeers(scale=scale, far_posts=far, posts=posts,
                                creators=np.bincount(creator_platform, minlength=n_platforms))


def gather_activity(inputs: ScoringInputs, model: ScoringModel) -> ActivityValues:
    """The :class:`ActivityValues` of ``inputs``' creators (a range of a workspace's creators,
    each with all its posts and snapshots)."""
    eng = engagement_metrics(inputs, model)
    post_values = benchmark_post_values(inputs, eng.posts)
    n = inputs.n_creators
    return ActivityValues(
        platform=inputs.platform, tier=eng.tier, metrics=eng.metrics,
        # Platform and tier codes (< 12, < 5) in a byte per post: a first pass keeps them for every post.
        post_platform=inputs.platform.astype(np.int8)[inputs.post_creator],
        post_tier=eng.tier.astype(np.int8)[inputs.post_creator],
        post_metrics=post_values,
        drip=drip_best_rates(inputs, eng, model),
        own_comments=own_baseline_posts(*comments_own_inputs(inputs, eng), n),
        own_engagement=own_baseline_posts(*engagement_own_inputs(inputs, eng), n),
    )
