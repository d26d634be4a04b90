"""Exact overlap and unique reach against hand-computed Python sets."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest

from influencers.overlap import (
    Incidence,
    incidence_from_pairs,
    incidence_from_samples,
    member_weights,
    overlap_report,
    pairwise_overlap,
)


def random_samples(seed: int, k: int = 7, universe: int = 60) -> dict[str, set[str]]:
    rng = np.random.default_rng(seed)
    out = {}
    for i in range(k):
        size = int(rng.integers(0 if i == k - 1 else 3, 25))
        out[f"c{i}"] = {f"m{x}" for x in rng.choice(universe, size=size, replace=False)}
    return out


def max_rule(samples: dict[str, set], weight: dict[str, float], counted: set | None = None) -> float:
    """Each member counted once, at the largest weight among samples that contain it."""
    best: dict[str, float] = {}
    for c, members in samples.items():
        for m in members:
            if counted is not None and m not in counted:
                continue
            best[m] = max(best.get(m, 0.0), weight[c])
    return sum(best.values())


def test_hand_example():
    samples = {"a": {"1", "2", "3", "4"}, "b": {"3", "4", "5"}, "c": {"9"}}
    inc = incidence_from_samples({k: sorted(v) for k, v in samples.items()})
    rep = overlap_report(inc, [400, 300, 10], n_boot=0)
    assert rep.pairwise.shared.tolist() == [[4, 2, 0], [2, 3, 0], [0, 0, 1]]
    assert rep.pairwise.jaccard[0, 1] == pytest.approx(2 / 5)
    assert rep.pairwise.containment[0, 1] == pytest.approx(2 / 4)
    assert rep.pairwise.containment[1, 0] == pytest.approx(2 / 3)
    assert rep.unique_share.tolist() == pytest.approx([2 / 4, 1 / 3, 1.0])
    assert rep.overlapping_share.tolist() == pytest.approx([2 / 4, 2 / 3, 0.0])
    assert rep.distinct_members == 6
    assert rep.sample_duplication == pytest.approx(8 / 6)
    # weights: a 100/member, b 100/member, c 10/member -> 6 distinct members, c's at 10
    assert rep.authentic_reach.unique_reach == pytest.approx(100 * 5 + 10)
    assert rep.authentic_reach.total_audience == pytest.approx(710)
    assert rep.authentic_reach.duplication_factor == pytest.approx(710 / 510)


@pytest.mark.parametrize("seed", range(5))
def test_against_python_sets(seed):
    samples = random_samples(seed)
    inc = incidence_from_samples({k: list(v) for k, v in samples.items()})
    ids = list(samples)
    rng = np.random.default_rng(100 + seed)
    followers = rng.integers(100, 100_000, len(ids)).astype(float)
    fake = rng.uniform(0, 0.4, len(ids))
    rep = overlap_report(inc, followers, fake_share=fake, n_boot=0)

    for i, a in enumerate(ids):
        for j, b in enumerate(ids):
            inter = len(samples[a] & samples[b])
            union = len(samples[a] | samples[b])
            assert rep.pairwise.shared[i, j] == inter
            assert rep.pairwise.jaccard[i, j] == pytest.approx(inter / union if union else 0.0)
            expected = inter / len(samples[a]) if samples[a] else 0.0
            assert rep.pairwise.containment[i, j] == pytest.approx(expected)
        others = set().union(*(samples[b] for b in ids if b != a))
        unique = samples[a] - others
        assert rep.unique_members[i] == len(unique)
        share = len(unique) / len(samples[a]) if samples[a] else 0.0
        assert rep.unique_share[i] == pytest.approx(share)
        assert rep.overlapping_share[i] == pytest.approx(1 - share if samples[a] else 0.0)

    union_all = set().union(*samples.values())
    assert rep.distinct_members == len(union_all)
    assert rep.sample_duplication == pytest.approx(sum(len(s) for s in samples.values()) / len(union_all))

    weight = {c: (followers[i] * (1 - fake[i]) / len(samples[c]) if samples[c] else 0.0)
              for i, c in enumerate(ids)}
    total = sum(weight[c] * len(samples[c]) for c in ids)
    unique_reach = max_rule(samples, weight)
    assert rep.authentic_reach.unique_reach == pytest.approx(unique_reach)
    assert rep.authentic_reach.total_audience == pytest.approx(total)
    assert rep.authentic_reach.duplication_factor == pytest.approx(total / unique_reach)
    fweight = {c: (followers[i] / len(samples[c]) if samples[c] else 0.0) for i, c in enumerate(ids)}
    assert rep.follower_reach.unique_reach == pytest.approx(max_rule(samples, fweight))
    # the union is never smaller than the largest audience nor larger than the sum
    reach = [weight[c] * len(samples[c]) for c in ids]
    assert max(reach) - 1e-9 <= unique_reach <= sum(reach) + 1e-9


@pytest.mark.parametrize("seed", range(4))
def test_masks_against_python_sets(seed):
    samples = random_samples(seed, k=6, universe=50)
    inc = incidence_from_samples({k: list(v) for k, v in samples.items()})
    ids = list(samples)
    rng = np.random.default_rng(seed)
    bots = {f"m{x}" for x in rng.choice(50, 12, replace=False)}
    target = {f"m{x}" for x in rng.choice(50, 30, replace=False)}
    authentic_mask = ~inc.member_mask(sorted(bots))
    target_mask = inc.member_mask(sorted(target))
    followers = rng.integers(1000, 50_000, len(ids)).astype(float)
    counted = {m for s in samples.values() for m in s if m not in bots and m in target}

    # member mask without fake share: authentic members stand for F / n, bots for nothing
    rep = overlap_report(inc, followers, authentic=authentic_mask, target=target_mask, n_boot=0)
    weight = {c: followers[i] / len(samples[c]) if samples[c] else 0.0 for i, c in enumerate(ids)}
    assert rep.authentic_reach.unique_reach == pytest.approx(max_rule(samples, weight, counted))
    for i, c in enumerate(ids):
        assert rep.counted_sizes[i] == len(samples[c] & counted)
        for j, d in enumerate(ids):
            assert rep.pairwise.shared[i, j] == len(samples[c] & samples[d] & counted)
    # follower scaling ignores authenticity but keeps the target
    fw = {c: followers[i] / len(samples[c]) if samples[c] else 0.0 for i, c in enumerate(ids)}
    in_target = {m for s in samples.values() for m in s if m in target}
    assert rep.follower_reach.unique_reach == pytest.approx(max_rule(samples, fw, in_target))

    # member mask and fake share: authentic members carry F (1 - fake)
    fake = rng.uniform(0.05, 0.3, len(ids))
    rep2 = overlap_report(inc, followers, fake_share=fake, authentic=authentic_mask, n_boot=0)
    auth = {c: samples[c] - bots for c in ids}
    weight2 = {c: (followers[i] * (1 - fake[i]) / len(auth[c]) if auth[c] else 0.0) for i, c in enumerate(ids)}
    assert rep2.authentic_reach.unique_reach == pytest.approx(
        max_rule(samples, weight2, {m for s in auth.values() for m in s}))
    for i, c in enumerate(ids):
        if auth[c]:
            assert rep2.authentic_weights.reach[i] == pytest.approx(followers[i] * (1 - fake[i]))


def test_interval_contains_estimate_and_is_seeded():
    samples = random_samples(3, k=8, universe=200)
    inc = incidence_from_samples({k: list(v) for k, v in samples.items()})
    followers = np.full(8, 1e6)
    a = overlap_report(inc, followers, n_boot=500, seed=7).authentic_reach
    b = overlap_report(inc, followers, n_boot=500, seed=7).authentic_reach
    assert a.ci_low <= a.unique_reach <= a.ci_high
    assert a.ci_low < a.ci_high
    assert (a.ci_low, a.ci_high) == (b.ci_low, b.ci_high)
    assert a.base_sample_sizes == [len(s) for s in samples.values()]


def panel_sample(rate: float, seed: int, k: int = 10, population: int = 200_000, audience: int = 60_000):
    """Creator i is followed by people [i * 14k, i * 14k + 60k); the samples are those
    followers inside a random panel of the population, so shares are the same at any rate."""
    rng = np.random.default_rng(seed)
    panel = rng.random(population) < rate
    rows, cols = [], []
    for i in range(k):
        followers = np.arange(i * 14_000, i * 14_000 + audience)
        sampled = followers[panel[followers]]
        rows.append(np.full(sampled.size, i))
        cols.append(sampled)
    inc = incidence_from_pairs(np.concatenate(rows), np.concatenate(cols), n_creators=k)
    return inc, np.full(k, float(audience))


def test_interval_narrows_with_larger_samples():
    truth = 9 * 14_000 + 60_000  # people following at least one creator
    widths = []
    for rate in (0.002, 0.02, 0.2):
        inc, followers = panel_sample(rate, seed=1)
        r = overlap_report(inc, followers, n_boot=400, seed=3).authentic_reach
        assert r.ci_low <= r.unique_reach <= r.ci_high
        assert r.unique_reach == pytest.approx(truth, rel=0.1)
        widths.append(r.ci_high - r.ci_low)
    assert widths[0] > 2 * widths[1] > 4 * widths[2]


def test_complete_audiences_have_zero_width():
    samples = {"a": ["1", "2", "3"], "b": ["2", "3", "4", "5"]}
    rep = overlap_report(incidence_from_samples(samples), [3, 4], n_boot=200)
    r = rep.authentic_reach
    assert r.unique_reach == pytest.approx(5)
    assert r.ci_low == pytest.approx(5) and r.ci_high == pytest.approx(5)


def test_to_dict_is_json():
    samples = {"a": ["1", "2"], "b": [], "c": ["2"]}
    rep = overlap_report(incidence_from_samples(samples), [10, 0, 5], fake_share=[0.1, 0, 0.2], n_boot=50)
    data = json.loads(json.dumps(rep.to_dict(), allow_nan=False))
    assert [c["creator_id"] for c in data["creators"]] == ["a", "b", "c"]
    assert data["pairwise"]["shared"] == [[2, 0, 1], [0, 0, 0], [1, 0, 1]]
    assert data["creators"][0]["authentic_followers"] == pytest.approx(9)
    assert data["set"]["authentic"]["unique_reach"] == pytest.approx(9)  # c's member is a's too
    empty = overlap_report(incidence_from_samples({"x": []}), [0], n_boot=10)
    json.dumps(empty.to_dict(), allow_nan=False)


def test_incidence_builders():
    inc = incidence_from_pairs([0, 0, 1, 1, 1], [30, 30, 10, 30, 20], creator_ids=["x", "y"])
    assert inc.member_keys.tolist() == [10, 20, 30]
    assert inc.matrix.toarray().tolist() == [[0, 0, 1], [1, 1, 1]]
    assert inc.sample_sizes.tolist() == [1, 3]
    assert inc.member_mask([20, 99]).tolist() == [False, True, False]
    sub = inc.subset([1])
    assert sub.creator_ids == ("y",) and sub.n_members == 3
    assert isinstance(sub, Incidence)
    with pytest.raises(ValueError):
        incidence_from_pairs([0, 2], [1, 2], n_creators=2)


def test_pairwise_and_weights_validation():
    inc = incidence_from_samples([["a", "b"], ["b"]])
    p = pairwise_overlap(inc.matrix)
    assert p.containment[1, 0] == 1.0 and p.containment[0, 1] == 0.5
    with pytest.raises(ValueError):
        member_weights(inc.matrix, [1, 2, 3])
    with pytest.raises(ValueError):
        member_weights(inc.matrix, [1, 2], fake_share=[0, 1.5])
    with pytest.raises(ValueError):
        member_weights(inc.matrix, [1, 2], authentic=[True])
    w = member_weights(inc.matrix, [10, 4], fake_share=[0.5, 0])
    assert w.weight.tolist() == [2.5, 4.0]
    assert math.isclose(w.reach.sum(), 9.0)


@pytest.mark.parametrize("chunk", [1, 7, 1 << 22])
def test_shared_counts_equals_dense_product(monkeypatch, chunk):
    import scipy.sparse as sp

    from influencers.overlap import report

    monkeypatch.setattr(report, "_PAIR_CHUNK", chunk)
    rng = np.random.default_rng(chunk)
    for trial in range(20):
        k, m = int(rng.integers(1, 25)), int(rng.integers(1, 150))
        dense = (rng.random((k, m)) < rng.random() * 0.6).astype(np.int32)
        mask = rng.random(m) < 0.7 if trial % 2 else None
        a = dense * (1 if mask is None else mask)
        assert np.array_equal(report.shared_counts(sp.csr_array(dense), mask), a @ a.T)
