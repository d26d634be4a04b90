"""Exact grouped medians of values spilled to disk: what the in-memory medians give, in bounded memory."""
from __future__ import annotations

import numpy as np
import pytest

from influencers.scoring import grouped, spilled
from influencers.scoring.spilled import SpilledColumns, grouped_medians, order_statistics


def _values(rng, kind: str, n: int) -> np.ndarray:
    if kind == "normal":
        return rng.normal(size=n)
    if kind == "ties":
        return rng.integers(-3, 4, size=n).astype(float)
    if kind == "ratios":
        return np.log10(rng.integers(1, 50, size=n) / rng.integers(1, 50, size=n))
    if kind == "extremes":
        return rng.choice([0.0, -0.0, 1e-300, -1e300, np.inf, -np.inf, 5.0], size=n)
    return rng.exponential(size=n) * 10.0 ** rng.integers(-5, 5, size=n)


@pytest.mark.parametrize("kind", ["normal", "ties", "ratios", "extremes", "spread"])
@pytest.mark.parametrize("collect", [0, 3, 1 << 14])
def test_spilled_medians_are_the_in_memory_medians(kind, collect, monkeypatch):
    """Every selection route (counting all 64 bits, gathering a small bin, gathering at once)
    gives ``grouped.median``'s value, with NaN, empty groups and blocks cutting groups."""
    monkeypatch.setattr(spilled, "_COLLECT", collect)
    rng = np.random.default_rng(len(kind) * 31 + collect)
    for n, n_groups, block in ((2000, 7, 113), (1, 3, 1), (0, 2, 5), (999, 1, 1000)):
        values = _values(rng, kind, n)
        values[rng.random(n) < 0.1] = np.nan
        groups = rng.integers(0, n_groups, size=n)

        def blocks(values=values, groups=groups, block=block):
            return ((groups[i:i + block], values[i:i + block]) for i in range(0, len(values), block))

        expected = grouped.median(groups, values, n_groups)
        np.testing.assert_array_equal(grouped_medians(blocks, n_groups), expected)


def test_order_statistics_of_many_targets_in_batches(monkeypatch):
    monkeypatch.setattr(spilled, "_SLOTS_PER_PASS", 5)
    rng = np.random.default_rng(7)
    values, groups = rng.normal(size=5000), rng.integers(0, 40, size=5000)
    targets = np.arange(40)
    ranks = np.array([rng.integers(0, (groups == g).sum()) for g in targets])
    got = order_statistics(lambda: [(groups, values)], targets, ranks)
    expected = [np.sort(values[groups == g])[r] for g, r in zip(targets, ranks)]
    np.testing.assert_array_equal(got, expected)


def test_spilled_columns_read_back_in_blocks_as_appended(tmp_path):
    columns = SpilledColumns(tmp_path, "posts", {"platform": np.int8, "value": np.float64})
    columns.append(platform=np.array([1, 2, 3]), value=np.array([0.5, np.nan, -1.0]))
    columns.append(platform=np.array([4]), value=np.array([2.0]))
    blocks = list(columns.blocks(rows=3))
    assert [len(b["value"]) for b in blocks] == [3, 1]
    np.testing.assert_array_equal(np.concatenate([b["platform"] for b in blocks]), [1, 2, 3, 4])
    np.testing.assert_array_equal(np.concatenate([b["value"] for b in blocks]), [0.5, np.nan, -1.0, 2.0])
    with pytest.raises(ValueError):
        columns.append(platform=np.array([1]))
