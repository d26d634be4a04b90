"""Benchmark: choosing 20 of 500 candidate creators for maximum unique authentic reach.

Synthetic, seeded candidates (the overlap benchmark's generator): niches whose
creators share audience, follower counts from 20k to 5M, fake-follower shares
up to 40% (a few large accounts with bought followers), bots and a target
audience among the sampled members, fees that grow with followers.

Measured in one run:

* ``k = 20`` (no budget): CELF lazy greedy, its time and marginal-gain
  evaluations, against a plain greedy that re-evaluates every candidate each
  round (same picks expected) and against the naive pick (top 20 by followers);
* a budget equal to the fees of the naive top 20 (so both spend the same):
  cost-aware CELF against the naive pick within that budget;
* both again counting only the target audience.

Usage: ``python benchmarks/bench_optimiser.py [--quick] [--candidates N] [--sample S] [--k K]``
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_overlap import synthetic_samples  # noqa: E402

from influencers.overlap import incidence_from_pairs, optimise_shortlist  # noqa: E402
from influencers.overlap.optimiser import CoverageState  # noqa: E402
from influencers.overlap.reach import member_weights  # noqa: E402


def plain_greedy(matrix, weight, k):
    """Greedy without lazy evaluation: every candidate's gain, every round (vectorised)."""
    state = CoverageState(matrix, weight)
    picks = []
    for _ in range(k):
        gains = state.all_gains()
        gains[picks] = -1
        j = int(np.argmax(gains))
        if gains[j] <= 0:
            break
        state.add(j)
        picks.append(j)
    return picks, state.value, state.evaluations


def show(label, res, seconds):
    naive = res.naive.unique_reach
    print(f"{label}: {len(res.picks)} picked in {seconds * 1000:.1f} ms ({res.evaluations} gain evaluations, "
          f"strategy {res.strategy})")
    print(f"    unique reach {res.unique_reach:,.0f} (cost {res.chosen.total_cost:,.0f}) vs naive "
          f"{naive:,.0f} (cost {res.naive.total_cost:,.0f}): x{res.unique_reach / naive:.2f}, "
          f"+{res.unique_reach - naive:,.0f}")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small size (100 candidates x 1,000 members)")
    ap.add_argument("--candidates", type=int)
    ap.add_argument("--sample", type=int)
    ap.add_argument("--k", type=int, default=20)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    n_cand = args.candidates or (100 if args.quick else 500)
    n = args.sample or (1_000 if args.quick else 5_000)
    k = args.k

    samples, followers, fake, bots, target, pool = synthetic_samples(n_cand, n, args.seed)
    rng = np.random.default_rng(args.seed + 1)
    # a few large accounts bought followers
    big = np.argsort(-followers)[: n_cand // 10]
    fake[big[rng.random(big.size) < 0.4]] = rng.uniform(0.3, 0.4)
    fees = np.round(followers * rng.uniform(0.004, 0.012, n_cand) + 200, -1)
    rows = np.repeat(np.arange(n_cand), [s.size for s in samples])
    inc = incidence_from_pairs(rows, np.concatenate(samples), n_creators=n_cand)
    keys = inc.member_keys
    authentic, in_target = ~bots[keys], target[keys]
    print(f"data: {n_cand} candidates x {n:,} sampled members ({inc.matrix.nnz:,} entries, "
          f"{inc.n_members:,} distinct members); choose {k}")

    t = time.perf_counter()
    res = optimise_shortlist(inc, followers, k=k, fees=fees, fake_share=fake, authentic=authentic)
    t_k = time.perf_counter() - t
    show(f"k={k}", res, t_k)

    mw = member_weights(inc.matrix, followers, fake_share=fake, authentic=authentic)
    counted = inc.matrix[:, np.flatnonzero(mw.counted)]
    t = time.perf_counter()
    picks, value, evaluations = plain_greedy(counted, mw.weight, k)
    t_plain = time.perf_counter() - t
    same = picks == [p.index for p in res.picks]
    print(f"    plain greedy: {t_plain * 1000:.1f} ms, {evaluations} evaluations, same picks: {same}, "
          f"reach {value:,.0f}")

    budget = float(res.naive.total_cost)
    t = time.perf_counter()
    res_b = optimise_shortlist(inc, followers, fees=fees, budget=budget, fake_share=fake, authentic=authentic)
    t_b = time.perf_counter() - t
    # the naive pick within the budget: top followers while they fit
    show(f"budget {budget:,.0f}", res_b, t_b)
    print("    alternatives: " + ", ".join(f"{s} {v:,.0f}" for s, v in res_b.alternatives.items()))

    t = time.perf_counter()
    res_t = optimise_shortlist(inc, followers, k=k, fees=fees, fake_share=fake, authentic=authentic,
                               target=in_target)
    show(f"k={k}, target audience only", res_t, time.perf_counter() - t)
    t = time.perf_counter()
    res_tb = optimise_shortlist(inc, followers, fees=fees, budget=budget, fake_share=fake,
                                authentic=authentic, target=in_target)
    show(f"budget {budget:,.0f}, target audience only", res_tb, time.perf_counter() - t)


if __name__ == "__main__":
    main()
