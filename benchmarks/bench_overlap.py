"""Benchmark: the overlap report for 200 creators with 10,000-member audience samples.

Synthetic, seeded data with realistic overlap: creators belong to niches, and
each sample mixes members of the creator's niche (active accounts more often,
Zipf-like, and more so for bigger creators) with members from the whole
platform, so creators in the same niche share a lot, big creators of a niche
more, and creators of different niches a little. Some members are bots
(authenticity mask) and some match a target audience.

Measured in one run, from the same raw samples (arrays of member ids):

* ours: ``incidence_from_pairs`` + ``overlap_report`` (CSR/CSC incidence matrix,
  ``A @ A.T`` by grouped pair counting, numpy reductions);
* baseline 1: the same report with plain Python ``set``s and dicts (pairwise
  intersections, per-member multiplicities, max-weight union);
* baseline 2, the strong one: the same report on bitmaps, numpy-vectorised: each
  creator's counted members as a packed bit row over the member pool (``uint64``
  words), pairwise intersections as AND + ``np.bitwise_count`` of one row against
  all the others at once, multiplicities as a column sum, the max-weight union as
  AND-NOT / OR of rows. This is what a roaring-bitmap library does for dense sets,
  without its compression (the pool here is small enough for plain bitmaps).
  All three draw the bootstrap interval from their own counts with the same O(K)
  numpy code, which is not set work; the baselines' figures are checked equal to ours.

Each is run ``--repeat`` times (default 3), interleaved, and the best times are compared.

Usage: ``python benchmarks/bench_overlap.py [--quick] [--creators K] [--sample N] [--boot B] [--repeat R]``
"""
from __future__ import annotations

import argparse
import time
from itertools import combinations

import numpy as np

from influencers.overlap import incidence_from_pairs, overlap_report
from influencers.overlap.reach import MemberWeights, estimate_unique_reach


def synthetic_samples(k: int, n: int, seed: int = 0, niches: int = 12):
    """Per creator an array of ``n`` distinct member ids, plus followers and fake shares."""
    rng = np.random.default_rng(seed)
    pool = max(30 * n, 20 * k * n // niches // 4)
    niche_size = pool // niches
    followers = np.round(np.exp(rng.uniform(np.log(2e4), np.log(5e6), k)))
    # bigger creators draw more of the niche's most active accounts, so they overlap more
    size = (np.log(followers) - np.log(2e4)) / (np.log(5e6) - np.log(2e4))
    ranks = np.arange(1, niche_size + 1, dtype=float)
    samples = []
    for i in range(k):
        niche = i % niches
        in_niche = int(n * rng.uniform(0.55, 0.85))
        p = ranks ** -(0.3 + 0.7 * size[i])
        p /= p.sum()
        local = rng.choice(niche_size, size=in_niche, replace=False, p=p) + niche * niche_size
        rest = rng.choice(pool, size=n + n // 2, replace=False)
        rest = rest[~np.isin(rest, local)][: n - in_niche]
        # sorted: the database returns a sample's members in primary-key order
        samples.append(np.sort(np.concatenate([local, rest])).astype(np.int64))
    fake = rng.uniform(0.0, 0.3, k)
    bots = rng.random(pool) < 0.08
    target = rng.random(pool) < 0.4
    return samples, followers, fake, bots, target, pool


def python_set_report(samples, followers, fake, bots, target, n_boot, seed):
    """The same report with Python sets: returns the numbers the benchmark compares."""
    k = len(samples)
    bots, target = bots.tolist(), target.tolist()  # Python lists: no numpy scalar indexing
    samples = [s.tolist() for s in samples]
    counted_members = [{m for m in s if not bots[m] and target[m]} for s in samples]
    shared = [[0] * k for _ in range(k)]
    jaccard = [[0.0] * k for _ in range(k)]
    containment = [[0.0] * k for _ in range(k)]
    for i in range(k):
        shared[i][i] = len(counted_members[i])
        jaccard[i][i] = 1.0 if counted_members[i] else 0.0
        containment[i][i] = 1.0 if counted_members[i] else 0.0
    for i, j in combinations(range(k), 2):
        inter = len(counted_members[i] & counted_members[j])
        union = len(counted_members[i]) + len(counted_members[j]) - inter
        shared[i][j] = shared[j][i] = inter
        jaccard[i][j] = jaccard[j][i] = inter / union if union else 0.0
        containment[i][j] = inter / len(counted_members[i]) if counted_members[i] else 0.0
        containment[j][i] = inter / len(counted_members[j]) if counted_members[j] else 0.0
    multiplicity: dict[int, int] = {}
    for s in counted_members:
        for m in s:
            multiplicity[m] = multiplicity.get(m, 0) + 1
    unique_share = [
        (sum(1 for m in s if multiplicity[m] == 1) / len(s)) if s else 0.0 for s in counted_members
    ]
    results = {}
    for scaling in ("authentic", "followers"):
        if scaling == "authentic":
            members = counted_members
            base = [sum(1 for m in s if not bots[m]) for s in samples]
            weight = [followers[i] * (1 - fake[i]) / base[i] if base[i] else 0.0 for i in range(k)]
            population = [followers[i] * base[i] / len(samples[i]) for i in range(k)]
        else:
            members = [{m for m in s if target[m]} for s in samples]
            base = [len(s) for s in samples]
            weight = [followers[i] / base[i] if base[i] else 0.0 for i in range(k)]
            population = list(followers)
        # max-weight union: each member at the largest weight among the samples holding it
        order = sorted(range(k), key=lambda i: (-weight[i], i))
        seen: set[int] = set()
        first = [0] * k
        for i in order:
            new = members[i] - seen
            first[i] = len(new)
            seen |= new
        counted = np.array([len(s) for s in members])
        mw = MemberWeights(counted=np.ones(1, bool), weight=np.array(weight), base_size=np.array(base),
                           population=np.maximum(np.array(population), np.array(base)),
                           audience=np.zeros(k), sample_size=np.array([len(s) for s in samples]),
                           counted_size=counted)
        results[scaling] = estimate_unique_reach(None, mw, scaling=scaling, n_boot=n_boot, seed=seed,
                                                 first_reached=np.array(first))
    return {"shared": shared, "jaccard": jaccard, "containment": containment,
            "unique_share": unique_share, "reach": results}


def _bit_rows(member_lists, pool: int) -> np.ndarray:
    """One packed bit row per creator over ``range(pool)`` (uint64 words), set at its members."""
    dense = np.zeros((len(member_lists), pool), dtype=bool)
    for i, members in enumerate(member_lists):
        dense[i, members] = True
    packed = np.packbits(dense, axis=1, bitorder="little")
    padded = np.zeros((len(member_lists), -(-packed.shape[1] // 8) * 8), dtype=np.uint8)
    padded[:, :packed.shape[1]] = packed
    return padded.view(np.uint64)


def _popcount(words: np.ndarray) -> np.ndarray:
    return np.bitwise_count(words).sum(axis=-1, dtype=np.int64)


def bitmap_report(samples, followers, fake, bots, target, pool, n_boot, seed):
    """The same report on packed bitmaps (numpy): returns the numbers the benchmark compares."""
    k = len(samples)
    counted_lists = [s[~bots[s] & target[s]] for s in samples]
    rows = _bit_rows(counted_lists, pool)
    sizes = _popcount(rows)
    shared = np.empty((k, k), dtype=np.int64)
    for i in range(k):
        shared[i, i:] = _popcount(rows[i] & rows[i:])
        shared[i:, i] = shared[i, i:]
    union = sizes[:, None] + sizes[None, :] - shared
    with np.errstate(divide="ignore", invalid="ignore"):
        jaccard = np.where(union > 0, shared / union, 0.0)
        containment = np.where(sizes[:, None] > 0, shared / sizes[:, None], 0.0)
    np.fill_diagonal(jaccard, (sizes > 0).astype(float))
    np.fill_diagonal(containment, (sizes > 0).astype(float))
    multiplicity = np.zeros(pool, dtype=np.int32)
    for members in counted_lists:
        multiplicity[members] += 1
    once = _bit_rows([np.flatnonzero(multiplicity == 1)], pool)[0]
    with np.errstate(divide="ignore", invalid="ignore"):
        unique_share = np.where(sizes > 0, _popcount(rows & once) / sizes, 0.0)
    results = {}
    for scaling in ("authentic", "followers"):
        if scaling == "authentic":
            member_rows = rows
            base = np.array([int((~bots[s]).sum()) for s in samples])
            weight = np.where(base > 0, followers * (1 - fake) / np.maximum(base, 1), 0.0)
            population = followers * base / np.array([len(s) for s in samples])
        else:
            member_rows = _bit_rows([s[target[s]] for s in samples], pool)
            base = np.array([len(s) for s in samples])
            weight = np.where(base > 0, followers / np.maximum(base, 1), 0.0)
            population = np.array(followers, dtype=float)
        order = sorted(range(k), key=lambda i: (-weight[i], i))
        seen = np.zeros(rows.shape[1], dtype=np.uint64)
        first = np.zeros(k, dtype=np.int64)
        for i in order:
            first[i] = _popcount(member_rows[i] & ~seen)
            seen |= member_rows[i]
        counted = _popcount(member_rows)
        mw = MemberWeights(counted=np.ones(1, bool), weight=np.asarray(weight, float), base_size=base,
                           population=np.maximum(np.asarray(population, float), base),
                           audience=np.zeros(k), sample_size=np.array([len(s) for s in samples]),
                           counted_size=counted)
        results[scaling] = estimate_unique_reach(None, mw, scaling=scaling, n_boot=n_boot, seed=seed,
                                                 first_reached=first)
    return {"shared": shared, "jaccard": jaccard, "containment": containment,
            "unique_share": unique_share, "reach": results}


def _check_same(rep, base, name):
    assert np.array_equal(rep.pairwise.shared, np.array(base["shared"])), name
    assert np.allclose(rep.pairwise.jaccard, np.array(base["jaccard"])), name
    assert np.allclose(rep.pairwise.containment, np.array(base["containment"])), name
    assert np.allclose(rep.unique_share, np.array(base["unique_share"])), name
    for scaling, ours_r in (("authentic", rep.authentic_reach), ("followers", rep.follower_reach)):
        b = base["reach"][scaling]
        assert np.isclose(ours_r.unique_reach, b.unique_reach, rtol=1e-9), name
        assert np.isclose(ours_r.ci_low, b.ci_low, rtol=1e-9) and np.isclose(ours_r.ci_high, b.ci_high, rtol=1e-9), name


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small size (40 creators x 2,000 members)")
    ap.add_argument("--creators", type=int)
    ap.add_argument("--sample", type=int)
    ap.add_argument("--boot", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeat", type=int, default=3, help="runs of each; the best is compared")
    args = ap.parse_args(argv)
    k = args.creators or (40 if args.quick else 200)
    n = args.sample or (2_000 if args.quick else 10_000)

    t = time.perf_counter()
    samples, followers, fake, bots, target, pool = synthetic_samples(k, n, args.seed)
    print(f"data: {k} creators x {n:,} sampled members, pool {pool:,} "
          f"(generated in {time.perf_counter() - t:.1f}s)")

    ours_runs, build_runs, base_runs, bitmap_runs = [], [], [], []
    for _ in range(args.repeat):
        t = time.perf_counter()
        bitmap = bitmap_report(samples, followers, fake, bots, target, pool, args.boot, args.seed)
        bitmap_runs.append(time.perf_counter() - t)
        # ours
        t0 = time.perf_counter()
        rows = np.repeat(np.arange(k), [s.size for s in samples])
        inc = incidence_from_pairs(rows, np.concatenate(samples), n_creators=k)
        t1 = time.perf_counter()
        keys = inc.member_keys
        rep = overlap_report(inc, followers, fake_share=fake, authentic=~bots[keys], target=target[keys],
                             n_boot=args.boot, seed=args.seed)
        t2 = time.perf_counter()
        ours_runs.append(t2 - t0)
        build_runs.append(t1 - t0)
        # baseline
        t3 = time.perf_counter()
        base = python_set_report(samples, followers, fake, bots, target, args.boot, args.seed)
        base_runs.append(time.perf_counter() - t3)
    ours, baseline, bitmaps = min(ours_runs), min(base_runs), min(bitmap_runs)

    # same numbers
    _check_same(rep, base, "python sets")
    _check_same(rep, bitmap, "bitmaps")

    off = ~np.eye(k, dtype=bool)
    r = rep.authentic_reach
    print(f"overlap: mean pairwise Jaccard {rep.pairwise.jaccard[off].mean():.4f}, "
          f"max {rep.pairwise.jaccard[off].max():.3f}; mean unique share {rep.unique_share.mean():.3f}; "
          f"sample duplication factor {rep.sample_duplication:.2f}")
    print(f"unique authentic reach (target) {r.unique_reach:,.0f} "
          f"[{r.ci_low:,.0f}, {r.ci_high:,.0f}] of {r.total_audience:,.0f}, "
          f"duplication factor {r.duplication_factor:.2f}; {args.boot} bootstrap replicates")
    runs = lambda xs: ", ".join(f"{x * 1000:.0f}" for x in xs)  # noqa: E731
    print(f"ours:     {ours * 1000:8.1f} ms  best of {args.repeat} (runs {runs(ours_runs)} ms; "
          f"building the incidence matrix {min(build_runs) * 1000:.0f} ms of it)")
    print(f"py sets:  {baseline * 1000:8.1f} ms  best of {args.repeat} (runs {runs(base_runs)} ms)")
    print(f"bitmaps:  {bitmaps * 1000:8.1f} ms  best of {args.repeat} (runs {runs(bitmap_runs)} ms)")
    print(f"speed-up: {baseline / ours:8.1f}x over Python sets (aim >= 20x), {bitmaps / ours:.2f}x over "
          f"numpy bitmaps; results identical")


if __name__ == "__main__":
    main()
