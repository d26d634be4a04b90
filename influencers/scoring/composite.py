"""The composite score (0-100): a weighted mean of named components in [0, 1].

* ``authenticity``: authenticity / 100;
* ``engagement``: engagement quality, the normal CDF of the mean robust z-score of
  the engagement rates (by followers, and by views where reported) against the
  platform x tier benchmark, so 0.5 is the benchmark. Engagement a fraud flag
  says is inflated (bought likes, comment pod) counts at most as the benchmark;
* ``reach``: log10 of the estimated reach between the model's floor (0) and
  ceiling (1);
* ``centrality``: the graph module's value in [0, 1], when given.

A component missing for a creator (no posts, no centrality) is left out and the
weights of the others renormalised; the explanation says so. Contributions are
``100 x effective weight x value`` and sum to the score.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import norm

from influencers.scoring.model import COMPONENTS, ScoringModel

INFLATING_FLAGS = ("bought_likes", "comment_pod", "bought_engagement")


@dataclass
class CompositeResult:
    values: dict[str, np.ndarray]            # component -> value in [0, 1], nan when missing
    effective_weights: dict[str, np.ndarray]  # renormalised over the components present (0 when missing)
    contributions: dict[str, np.ndarray]      # 100 x effective weight x value
    score: np.ndarray
    engagement_capped: np.ndarray             # engagement held at the benchmark because of a flag


def engagement_quality(er_z: np.ndarray, er_views_z: np.ndarray, inflated: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    stacked = np.vstack([er_z, er_views_z])
    present = ~np.isnan(stacked)
    count = present.sum(axis=0)
    mean_z = np.where(count > 0, np.nansum(stacked, axis=0) / np.maximum(count, 1), np.nan)
    quality = norm.cdf(np.clip(mean_z, -4, 4))
    capped = inflated & (quality > 0.5)
    quality = np.where(capped, 0.5, quality)
    return np.where(count > 0, quality, np.nan), capped


def reach_value(estimated_reach: np.ndarray, model: ScoringModel) -> np.ndarray:
    lo, hi = model.threshold("reach_log10_floor"), model.threshold("reach_log10_ceiling")
    with np.errstate(divide="ignore", invalid="ignore"):
        log_reach = np.log10(np.maximum(estimated_reach, 1.0))
    return np.where(np.isnan(estimated_reach), np.nan, np.clip((log_reach - lo) / (hi - lo), 0.0, 1.0))


def composite_score(values: dict[str, np.ndarray], model: ScoringModel, n: int) -> tuple[dict, dict, np.ndarray]:
    """Weighted mean over the components present; returns effective weights, contributions, score."""
    weights = {c: np.where(np.isnan(values.get(c, np.full(n, np.nan))), 0.0, model.weight(c)) for c in COMPONENTS}
    total = sum(weights.values())
    effective = {c: np.where(total > 0, w / np.where(total > 0, total, 1), 0.0) for c, w in weights.items()}
    contributions = {c: 100 * effective[c] * np.nan_to_num(values.get(c, np.zeros(n))) for c in COMPONENTS}
    score = sum(contributions.values())
    return effective, contributions, score
