"""The shortlist optimiser against brute force on small random instances."""
from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pytest

from influencers.overlap import (
    incidence_from_pairs,
    optimise_shortlist,
    overlap_report,
    selection_reach,
)

BOUND_K = 1 - 1 / math.e
BOUND_BUDGET = (1 - 1 / math.e) / 2


def instance(seed: int, k: int = 9, universe: int = 120):
    rng = np.random.default_rng(seed)
    rows, cols = [], []
    for i in range(k):
        centre = rng.integers(0, universe)
        size = int(rng.integers(5, 40))
        members = np.unique((centre + rng.normal(0, 15, size).astype(int)) % universe)
        rows.append(np.full(members.size, i))
        cols.append(members)
    inc = incidence_from_pairs(np.concatenate(rows), np.concatenate(cols), n_creators=k,
                               creator_ids=[f"c{i}" for i in range(k)])
    followers = rng.integers(1_000, 200_000, k).astype(float)
    fees = np.round(rng.uniform(100, 1_000, k), 2)
    fake = rng.uniform(0, 0.3, k)
    return inc, followers, fees, fake


def brute_force(inc, followers, fake, *, fees=None, budget=None, k=None, keep=(), exclude=(), **kw):
    ids = list(inc.creator_ids)
    best, best_set = -1.0, None
    free = [c for c in ids if c not in keep and c not in exclude]
    for r in range(len(free) + 1):
        if k is not None and r + len(keep) > k:
            break
        for combo in itertools.combinations(free, r):
            chosen = list(keep) + list(combo)
            if budget is not None and sum(fees[ids.index(c)] for c in chosen) > budget + 1e-9:
                continue
            value = selection_reach(inc, followers, chosen, fake_share=fake, **kw) if chosen else 0.0
            if value > best:
                best, best_set = value, chosen
    return best, best_set


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("k", [1, 3, 5])
def test_k_variant_against_brute_force(seed, k):
    inc, followers, fees, fake = instance(seed)
    res = optimise_shortlist(inc, followers, k=k, fake_share=fake)
    opt, _ = brute_force(inc, followers, fake, k=k)
    assert len(res.picks) <= k
    assert res.unique_reach >= BOUND_K * opt - 1e-6
    assert res.unique_reach <= opt + 1e-6
    chosen = [p.creator_id for p in res.picks]
    assert res.unique_reach == pytest.approx(selection_reach(inc, followers, chosen, fake_share=fake))


@pytest.mark.parametrize("seed", range(8))
def test_budget_variant_against_brute_force(seed):
    inc, followers, fees, fake = instance(seed)
    budget = float(np.sort(fees)[:4].sum())
    res = optimise_shortlist(inc, followers, fees=fees, budget=budget, fake_share=fake)
    opt, _ = brute_force(inc, followers, fake, fees=fees, budget=budget)
    assert res.chosen.total_cost <= budget + 1e-9
    assert sum(p.cost for p in res.picks) == pytest.approx(res.chosen.total_cost)
    assert res.unique_reach >= BOUND_BUDGET * opt - 1e-6
    assert res.unique_reach <= opt + 1e-6
    assert res.naive.total_cost <= budget + 1e-9


@pytest.mark.parametrize("seed", range(6))
def test_must_keep_and_exclude_respected(seed):
    inc, followers, fees, fake = instance(seed)
    keep, exclude = ["c2"], ["c0", "c5"]
    budget = float(fees[2] + np.sort(fees)[:3].sum())
    res = optimise_shortlist(inc, followers, fees=fees, budget=budget, fake_share=fake,
                             must_keep=keep, exclude=exclude)
    chosen = [p.creator_id for p in res.picks]
    assert chosen[0] == "c2" and res.picks[0].must_keep
    assert not set(chosen) & set(exclude)
    assert res.chosen.total_cost <= budget + 1e-9
    assert not set(res.naive.creator_ids) & set(exclude) and "c2" in res.naive.creator_ids
    opt, _ = brute_force(inc, followers, fake, fees=fees, budget=budget, keep=keep, exclude=exclude)
    assert BOUND_BUDGET * opt - 1e-6 <= res.unique_reach <= opt + 1e-6

    res_k = optimise_shortlist(inc, followers, k=3, fake_share=fake, must_keep=keep, exclude=exclude)
    chosen = [p.creator_id for p in res_k.picks]
    assert "c2" in chosen and not set(chosen) & set(exclude) and len(chosen) <= 3
    opt_k, _ = brute_force(inc, followers, fake, k=3, keep=keep, exclude=exclude)
    assert res_k.unique_reach >= BOUND_K * opt_k - 1e-6


def test_lazy_greedy_equals_plain_greedy():
    inc, followers, fees, fake = instance(42, k=12)
    res = optimise_shortlist(inc, followers, k=6, fake_share=fake)
    chosen: list = []
    for _ in range(6):
        base = selection_reach(inc, followers, chosen, fake_share=fake) if chosen else 0.0
        gains = {c: selection_reach(inc, followers, chosen + [c], fake_share=fake) - base
                 for c in inc.creator_ids if c not in chosen}
        best = max(gains.values())
        if best <= 0:
            break
        chosen.append(next(c for c in inc.creator_ids if c in gains and gains[c] >= best - 1e-9))
    assert [p.creator_id for p in res.picks] == chosen
    margins = [p.marginal_reach for p in res.picks]
    assert margins == sorted(margins, reverse=True)
    assert sum(margins) == pytest.approx(res.unique_reach)


def test_objective_is_the_report_unique_reach():
    inc, followers, fees, fake = instance(3)
    res = optimise_shortlist(inc, followers, k=4, fake_share=fake)
    rows = [p.index for p in res.picks]
    rep = overlap_report(inc.subset(rows), followers[rows], fake_share=fake[rows], n_boot=0)
    assert rep.authentic_reach.unique_reach == pytest.approx(res.unique_reach)
    assert res.total_audience == pytest.approx(rep.authentic_reach.total_audience)


def test_target_mask_counts_only_matching_members():
    # a: 4 members outside the target; b: 2 in the target
    inc = incidence_from_pairs([0, 0, 0, 0, 1, 1], [1, 2, 3, 4, 5, 6], creator_ids=["a", "b"])
    followers = [1000.0, 100.0]
    target = inc.member_mask([5, 6])
    res = optimise_shortlist(inc, followers, k=1, target=target)
    assert [p.creator_id for p in res.picks] == ["b"]
    assert res.unique_reach == pytest.approx(100.0)
    assert res.naive.creator_ids == ["a"] and res.naive.unique_reach == 0.0
    no_target = optimise_shortlist(inc, followers, k=1)
    assert no_target.picks[0].creator_id == "a"


def test_naive_is_top_followers_within_budget():
    inc, followers, fees, fake = instance(9)
    budget = float(np.sort(fees)[:3].sum())
    res = optimise_shortlist(inc, followers, fees=fees, budget=budget, fake_share=fake)
    spent, expected = 0.0, []
    for i in np.argsort(-followers, kind="stable"):
        if spent + fees[i] <= budget + 1e-9:
            expected.append(inc.creator_ids[i])
            spent += fees[i]
    assert res.naive.creator_ids == expected
    assert res.unique_reach >= res.naive.unique_reach * BOUND_BUDGET


def test_ratio_greedy_beats_expensive_star_and_best_single_rescues():
    # ratio greedy takes the cheap creators first (ratio 2 > 1) and can then no longer
    # afford the one that costs the whole budget and reaches 25x more
    inc = incidence_from_pairs([0, 1, 2], [0, 1, 2], creator_ids=["big", "s1", "s2"])
    res = optimise_shortlist(inc, [100.0, 2.0, 2.0], fees=[100.0, 1.0, 1.0], budget=100.0)
    assert res.alternatives["ratio_greedy"] == pytest.approx(4.0)
    assert [p.creator_id for p in res.picks] == ["big"]
    assert res.unique_reach == pytest.approx(100.0)
    assert res.strategy in ("best_single", "unit_greedy_in_budget")


def test_result_is_json_and_validation():
    inc, followers, fees, fake = instance(1)
    res = optimise_shortlist(inc, followers, fees=fees, budget=1500.0, k=3)
    data = json.loads(json.dumps(res.to_dict(), allow_nan=False))
    assert data["picks"] and data["naive"]["creator_ids"]
    assert data["total_cost"] <= 1500.0
    with pytest.raises(ValueError):
        optimise_shortlist(inc, followers)
    with pytest.raises(ValueError):
        optimise_shortlist(inc, followers, budget=10.0)
    with pytest.raises(ValueError):
        optimise_shortlist(inc, followers, k=2, must_keep=["c1"], exclude=["c1"])
    with pytest.raises(ValueError):
        optimise_shortlist(inc, followers, fees=fees, budget=1.0, must_keep=["c1"])
    with pytest.raises(ValueError):
        optimise_shortlist(inc, followers, k=1, must_keep=["c1", "c2"])
    with pytest.raises(KeyError):
        optimise_shortlist(inc, followers, k=1, exclude=["nobody"])
