"""Engagement medians, benchmarks per platform x tier, grouped helpers."""
from __future__ import annotations

import numpy as np
import pytest

from influencers.scoring import grouped
from influencers.scoring.benchmarks import SOURCES, compute_table, follower_tier
from influencers.scoring.engagement import engagement_metrics
from influencers.scoring.inputs import PLATFORM_CODE
from influencers.scoring.model import DEFAULT_MODEL


def test_grouped_median_quantile_and_rank():
    groups = np.array([0, 0, 0, 2, 2, 2, 2])
    values = np.array([1.0, 5.0, 3.0, np.nan, 4.0, 8.0, 6.0])
    assert grouped.median(groups, values, 4).tolist()[0] == 3.0
    assert grouped.median(groups, values, 4)[2] == 6.0
    assert np.isnan(grouped.median(groups, values, 4)[[1, 3]]).all()
    assert grouped.quantile(groups, values, 4, 0.25)[0] == 2.0
    assert grouped.rank_within_group(groups, np.array([30, 10, 20, 4, 3, 2, 1])).tolist() == [2, 0, 1, 3, 2, 1, 0]


def test_follower_tiers():
    assert follower_tier([0, 9_999, 10_000, 99_999, 100_000, 499_999, 500_000, 999_999, 1_000_000]).tolist() == [
        0, 0, 1, 1, 2, 2, 3, 3, 4]


def test_engagement_rate_is_robust_to_one_viral_post(builder, find):
    builder.creator("steady").creator("one_viral")
    posts = builder.posts_of("one_viral")
    posts[3]["likes"] *= 40
    posts[3]["views"] *= 40
    inputs = builder.inputs()
    eng = engagement_metrics(inputs, DEFAULT_MODEL)
    steady, viral = find(inputs, "steady"), find(inputs, "one_viral")
    assert eng.metrics["er_followers"][viral] == pytest.approx(eng.metrics["er_followers"][steady], rel=0.1)
    assert eng.posts.viral[inputs.post_external_id == "one_viral-p3"].all()
    assert eng.posts_used[viral] == 24 and eng.views_posts_used[viral] == 24


def test_views_metrics_only_where_views_exist(builder, find):
    builder.creator("photos", views=False).creator("reels")
    inputs = builder.inputs()
    eng = engagement_metrics(inputs, DEFAULT_MODEL)
    assert np.isnan(eng.metrics["er_views"][find(inputs, "photos")])
    assert np.isnan(eng.metrics["likes_per_view"][find(inputs, "photos")])
    assert eng.metrics["likes_per_view"][find(inputs, "reels")] == pytest.approx(0.06, rel=0.1)
    # Small workspace: the shipped defaults are the benchmark, and the creators sit close to them.
    assert abs(eng.z["er_followers"][find(inputs, "reels")]) < 1
    assert eng.benchmarks["er_followers"].describe(PLATFORM_CODE["instagram"], 1)["source"] == "default"


def test_only_recent_posts_count(builder, find):
    builder.creator("busy", posts=40)
    inputs = builder.inputs()
    eng = engagement_metrics(inputs, DEFAULT_MODEL)
    assert eng.posts_used[find(inputs, "busy")] == DEFAULT_MODEL.threshold("recent_posts")


def test_benchmark_sources_by_cell_size():
    rng = np.random.default_rng(0)
    ig, tt = PLATFORM_CODE["instagram"], PLATFORM_CODE["tiktok"]
    # 40 instagram micro creators at 5%: the cell's own median; 40 tiktok spread over tiers
    # (fewer than 30 each) at twice the default level: the platform offset; youtube: defaults.
    platform = np.r_[np.full(40, ig), np.full(40, tt)]
    tier = np.r_[np.full(40, 1), np.arange(40) % 5]
    values = np.r_[0.05 * rng.lognormal(0, 0.1, 40), np.zeros(40)]
    from influencers.scoring.benchmarks import DEFAULT_BENCHMARKS

    values[40:] = 2 * DEFAULT_BENCHMARKS["er_followers"][tt, tier[40:]]
    table = compute_table("er_followers", platform, tier, values, min_count=30)
    assert SOURCES[table.source[ig, 1]] == "workspace" and table.median[ig, 1] == pytest.approx(0.05, rel=0.05)
    assert SOURCES[table.source[tt, 3]] == "workspace-platform"
    assert table.median[tt, 3] == pytest.approx(2 * DEFAULT_BENCHMARKS["er_followers"][tt, 3])
    assert SOURCES[table.source[PLATFORM_CODE["youtube"], 0]] == "default"
    assert table.count[ig, 1] == 40
