"""Grouped statistics over flat arrays (one group per creator), without Python loops.

Every function takes ``groups`` (an integer group index per row, ``0 <= g < n_groups``)
and returns one value per group; empty groups give ``nan`` (or 0 for counts).
``nan`` values are ignored, like ``np.nanmedian``.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

MAD_TO_SD = 1.4826  # MAD x 1.4826 estimates the standard deviation of a normal sample


def counts(groups: np.ndarray, n_groups: int, mask: np.ndarray | None = None) -> np.ndarray:
    """Rows per group (only rows where ``mask`` is true, when given)."""
    if mask is not None:
        groups = groups[mask]
    return np.bincount(groups, minlength=n_groups).astype(np.int64)


def sums(groups: np.ndarray, values: np.ndarray, n_groups: int) -> np.ndarray:
    """Sum per group, ignoring nan."""
    values = np.asarray(values, dtype=float)
    ok = ~np.isnan(values)
    return np.bincount(groups[ok], weights=values[ok], minlength=n_groups)


def _grouper(groups: np.ndarray, n_groups: int) -> pd.Categorical:
    # Codes given as a categorical: pandas skips factorising, and empty groups stay in the result.
    return pd.Categorical.from_codes(np.asarray(groups, dtype=np.int64), categories=pd.RangeIndex(n_groups))


def quantile(groups: np.ndarray, values: np.ndarray, n_groups: int, q: float) -> np.ndarray:
    """The q-quantile per group (linear interpolation, as ``np.quantile``)."""
    series = pd.Series(np.asarray(values, dtype=float))
    by = series.groupby(_grouper(groups, n_groups), observed=False)
    out = by.median() if q == 0.5 else by.quantile(q)
    return out.to_numpy(dtype=float, na_value=np.nan)


def median(groups: np.ndarray, values: np.ndarray, n_groups: int) -> np.ndarray:
    return quantile(groups, values, n_groups, 0.5)


def median_and_mad(groups: np.ndarray, values: np.ndarray, n_groups: int) -> tuple[np.ndarray, np.ndarray]:
    """Median and median absolute deviation (unscaled) per group."""
    med = median(groups, values, n_groups)
    dev = np.abs(np.asarray(values, dtype=float) - med[groups])
    return med, median(groups, dev, n_groups)


def rank_within_group(groups: np.ndarray, sort_key: np.ndarray) -> np.ndarray:
    """0-based rank of each row inside its group, ordered by ascending integer ``sort_key``."""
    groups = np.asarray(groups, dtype=np.int64)
    sort_key = np.asarray(sort_key, dtype=np.int64)
    if not len(groups):
        return np.zeros(0, dtype=np.int64)
    span = int(sort_key.max()) - int(sort_key.min()) + 1
    if span * (int(groups.max()) + 1) < 2**62:
        # One integer key: a stable argsort is near-linear when rows come grouped already.
        order = np.argsort(groups * span + (sort_key - sort_key.min()), kind="stable")
    else:
        order = np.lexsort((sort_key, groups))
    g = groups[order]
    first = np.r_[True, g[1:] != g[:-1]]
    run_start = np.maximum.accumulate(np.where(first, np.arange(len(g)), 0))
    ranks = np.empty(len(g), dtype=np.int64)
    ranks[order] = np.arange(len(g)) - run_start
    return ranks
