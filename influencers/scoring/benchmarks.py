"""Engagement benchmarks per platform and follower tier, from the workspace's own data.

Engagement ratios are compared on a log10 scale (they are multiplicative and
skewed), as a robust z-score: ``(log10(value) - median) / (1.4826 x MAD)``.

Each platform x tier cell takes, in order of preference:

1. ``workspace``: the cell's own median and MAD, when it holds at least
   ``benchmark_min_creators`` values;
2. ``workspace-platform``: the shipped default for the tier, shifted by the
   platform's median offset from the defaults (and that offset's MAD), when the
   platform as a whole has enough values: the workspace sets the level, the
   defaults the shape across tiers;
3. ``default``: the shipped default (public industry benchmarks, rounded).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from influencers.scoring import grouped
from influencers.scoring.grouped import MAD_TO_SD
from influencers.scoring.inputs import PLATFORMS

TIERS = ("nano", "micro", "mid", "macro", "mega")
TIER_BOUNDS = (10_000, 100_000, 500_000, 1_000_000)  # nano < 10k <= micro < 100k <= mid < 500k <= macro < 1M <= mega
N_TIERS = len(TIERS)
SOURCES = ("default", "workspace-platform", "workspace")

METRICS = {
    "er_followers": "(likes + comments) / followers, median over recent posts",
    "er_views": "(likes + comments) / views, median over recent posts with views",
    "comments_per_like": "(comments + 0.5) / (likes + 1), pooled over recent non-contest posts",
    "likes_per_view": "likes / views, median over recent posts with views",
}
# Per-post versions (one value per post, same definitions) for the post-level fraud checks.
POST_METRICS = ("post_comments_per_like", "post_likes_per_view")

_TIER_SHAPE = {  # how a metric falls from nano to mega accounts
    "er_followers": (1.0, 0.6, 0.42, 0.34, 0.28),
    "er_views": (1.0, 0.92, 0.85, 0.8, 0.75),
    "comments_per_like": (1.0, 0.9, 0.8, 0.72, 0.66),
    "likes_per_view": (1.0, 0.92, 0.85, 0.8, 0.75),
}
_NANO_LEVEL = {  # the nano-tier median per platform (rounded industry figures)
    "er_followers": {"instagram": 0.045, "tiktok": 0.10, "youtube": 0.04, "twitter": 0.012, "facebook": 0.012,
                     "linkedin": 0.03, "snapchat": 0.03, "tumblr": 0.02, "whatsapp": 0.02, "twitch": 0.03,
                     "pinterest": 0.01, "blog": 0.01},
    "er_views": {"instagram": 0.07, "tiktok": 0.08, "youtube": 0.045, "twitch": 0.05},
    "comments_per_like": {"instagram": 0.02, "tiktok": 0.012, "youtube": 0.05, "twitter": 0.08,
                          "facebook": 0.08, "linkedin": 0.06, "twitch": 0.05},
    "likes_per_view": {"instagram": 0.065, "tiktok": 0.07, "youtube": 0.04, "twitch": 0.045},
}
_NANO_FALLBACK = {"er_followers": 0.02, "er_views": 0.05, "comments_per_like": 0.04, "likes_per_view": 0.05}
DEFAULT_LOG_SCALE = {"er_followers": 0.25, "er_views": 0.22, "comments_per_like": 0.25, "likes_per_view": 0.2,
                     "post_comments_per_like": 0.3, "post_likes_per_view": 0.25}
MIN_LOG_SCALE = 0.05


def _default_table(metric: str) -> np.ndarray:
    base = metric.removeprefix("post_")
    level = np.array([_NANO_LEVEL[base].get(p, _NANO_FALLBACK[base]) for p in PLATFORMS])
    return level[:, None] * np.asarray(_TIER_SHAPE[base])[None, :]


DEFAULT_BENCHMARKS = {m: _default_table(m) for m in (*METRICS, *POST_METRICS)}


def follower_tier(followers) -> np.ndarray:
    """0 nano (< 10k), 1 micro (< 100k), 2 mid (< 500k), 3 macro (< 1M), 4 mega."""
    return np.searchsorted(np.asarray(TIER_BOUNDS, dtype=float), np.nan_to_num(np.asarray(followers, float)),
                           side="right")


def safe_log10(values) -> np.ndarray:
    values = np.asarray(values, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.log10(np.maximum(values, 1e-6))
    out[np.isnan(values)] = np.nan
    return out


@dataclass
class BenchmarkTable:
    """One metric's benchmark per (platform, tier): linear median, log10 scale, count, source."""

    metric: str
    median: np.ndarray     # (n_platforms, n_tiers), linear units
    log_scale: np.ndarray  # 1.4826 x MAD of log10 values
    count: np.ndarray      # values the cell was computed from (0 for defaults)
    source: np.ndarray     # index into SOURCES

    def z(self, values, platform, tier) -> np.ndarray:
        """Robust z-score of each value against its platform x tier benchmark (nan stays nan)."""
        return (safe_log10(values) - np.log10(self.median[platform, tier])) / self.log_scale[platform, tier]

    def describe(self, platform: int, tier: int) -> dict:
        return {
            "median": float(self.median[platform, tier]),
            "log10_scale": float(self.log_scale[platform, tier]),
            "source": SOURCES[self.source[platform, tier]],
            "n": int(self.count[platform, tier]),
            "platform": PLATFORMS[platform],
            "tier": TIERS[tier],
        }


def compute_table(metric: str, platform: np.ndarray, tier: np.ndarray, values: np.ndarray,
                  min_count: int) -> BenchmarkTable:
    n_platforms = len(PLATFORMS)
    logv = safe_log10(values)
    cell = platform * N_TIERS + tier
    n_cells = n_platforms * N_TIERS
    ok = ~np.isnan(logv)
    cell_med, cell_mad = grouped.median_and_mad(cell, logv, n_cells)
    plat_off, plat_mad = grouped.median_and_mad(platform, logv - np.log10(DEFAULT_BENCHMARKS[metric])[platform, tier],
                                                n_platforms)
    return table_of(metric, CellStatistics(grouped.counts(cell, n_cells, ok), cell_med, cell_mad,
                                           grouped.counts(platform, n_platforms, ok), plat_off, plat_mad), min_count)


@dataclass
class CellStatistics:
    """What a :class:`BenchmarkTable` is made of: per platform x tier cell (``platform *
    N_TIERS + tier``) the count, median and MAD of the log10 values; per platform those of
    their residuals from the shipped defaults."""

    cell_n: np.ndarray
    cell_median: np.ndarray
    cell_mad: np.ndarray
    platform_n: np.ndarray
    platform_offset: np.ndarray
    platform_mad: np.ndarray


def table_of(metric: str, stats: CellStatistics, min_count: int) -> BenchmarkTable:
    """The metric's table from its cell statistics (see the module docstring)."""
    n_platforms = len(PLATFORMS)
    default = DEFAULT_BENCHMARKS[metric]
    log_default = np.log10(default)
    cell_n, cell_med, cell_mad = (np.asarray(a).reshape(n_platforms, N_TIERS)
                                  for a in (stats.cell_n, stats.cell_median, stats.cell_mad))
    plat_n, plat_off, plat_mad = stats.platform_n, stats.platform_offset, stats.platform_mad

    median = log_default.copy()
    scale = np.full(default.shape, DEFAULT_LOG_SCALE[metric])
    count = np.zeros(default.shape, dtype=np.int64)
    source = np.zeros(default.shape, dtype=np.int64)

    use_platform = (plat_n >= min_count)[:, None] & np.ones(N_TIERS, bool)[None, :]
    median = np.where(use_platform, log_default + np.nan_to_num(plat_off)[:, None], median)
    scale = np.where(use_platform, MAD_TO_SD * np.nan_to_num(plat_mad)[:, None], scale)
    count = np.where(use_platform, plat_n[:, None], count)
    source = np.where(use_platform, 1, source)

    use_cell = cell_n >= min_count
    median = np.where(use_cell, cell_med, median)
    scale = np.where(use_cell, MAD_TO_SD * cell_mad, scale)
    count = np.where(use_cell, cell_n, count)
    source = np.where(use_cell, 2, source)
    return BenchmarkTable(metric, 10 ** median, np.maximum(scale, MIN_LOG_SCALE), count, source)


@dataclass
class Benchmarks:
    tables: dict[str, BenchmarkTable]

    def __getitem__(self, metric: str) -> BenchmarkTable:
        return self.tables[metric]

    def to_dict(self) -> dict:
        """JSON-able: per metric, platform and tier, the benchmark actually used."""
        out: dict = {}
        for metric, table in self.tables.items():
            for p, platform in enumerate(PLATFORMS):
                for t, tier in enumerate(TIERS):
                    out.setdefault(metric, {}).setdefault(platform, {})[tier] = table.describe(p, t)
        return out


def compute_benchmarks(platform, tier, creator_metrics: dict[str, np.ndarray], post_platform, post_tier,
                       post_metrics: dict[str, np.ndarray] | None, min_creators: int,
                       post_statistics: dict[str, CellStatistics] | None = None) -> Benchmarks:
    """Benchmarks from creator-level medians (``METRICS``) and per-post values (``POST_METRICS``),
    or the per-post values' ``post_statistics`` (computed elsewhere: a chunked run's, from values
    spilled to disk).

    Post-level cells need ``5 x min_creators`` posts.
    """
    tables = {m: compute_table(m, platform, tier, creator_metrics[m], min_creators) for m in METRICS}
    for m in POST_METRICS:
        tables[m] = (table_of(m, post_statistics[m], 5 * min_creators) if post_statistics is not None
                     else compute_table(m, post_platform, post_tier, post_metrics[m], 5 * min_creators))
    return Benchmarks(tables)
