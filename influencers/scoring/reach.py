"""Estimated authentic reach of a typical post.

Follower-based (every platform)::

    followers x (1 - fake share) x reachable share x reach rate(platform)

``followers`` is measured; the fake and reachable shares are estimated from the
audience sample, shrunk toward a prior (the workspace's other creators on the
platform, or the model's) so a tiny sample cannot swing them; the reach rate is
the model's assumption.

Views-based (video platforms, when recent posts report views): the median views
of recent posts, measured. It is the estimate used there, the follower-based
figure being reported beside it.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from influencers.scoring.inputs import PLATFORMS, VIDEO_PLATFORMS, ScoringInputs
from influencers.scoring.model import ScoringModel

BASES = ("followers", "views")


@dataclass
class ReachResult:
    estimated_reach: np.ndarray
    basis: np.ndarray               # index into BASES
    follower_based_reach: np.ndarray
    views_based_reach: np.ndarray   # nan off video platforms or without views
    reach_rate: np.ndarray


def estimate_reach(inputs: ScoringInputs, fake_share: np.ndarray, reachable_share: np.ndarray,
                   median_views: np.ndarray, model: ScoringModel) -> ReachResult:
    rates = np.array([model.reach_rate(p) for p in PLATFORMS])[inputs.platform]
    follower_based = np.nan_to_num(inputs.followers) * (1 - fake_share) * reachable_share * rates
    video = np.isin(inputs.platform, [PLATFORMS.index(p) for p in VIDEO_PLATFORMS])
    views_based = np.where(video & (median_views > 0), median_views, np.nan)
    use_views = ~np.isnan(views_based)
    return ReachResult(
        estimated_reach=np.where(use_views, views_based, follower_based),
        basis=use_views.astype(np.int8),
        follower_based_reach=follower_based,
        views_based_reach=views_based,
        reach_rate=rates,
    )
