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

Pure: arrays in, arrays out; no session.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from influencers.scoring.benchmarks import METRICS, POST_METRICS, Benchmarks, compute_benchmarks
from influencers.scoring.engagement import benchmark_post_values, engagement_metrics
from influencers.scoring.fraud import CommentGraph, comments_own_inputs
from influencers.scoring.fraud_hidden import DripPeers, drip_best_rates, engagement_own_inputs
from influencers.scoring.inputs import PLATFORMS, ScoringInputs
from influencers.scoring.model import ScoringModel
from influencers.scoring.own_baseline import OwnBaselinePeers, OwnBaselinePosts, own_baseline_posts


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
