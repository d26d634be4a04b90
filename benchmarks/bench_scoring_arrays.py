"""Benchmark: :func:`score_creators` alone, on synthetic arrays (no generator, no database).

The scoring math without reading or writing: what is left of a scoring run's time once
its inputs are in memory (``bench_scoring.py`` measures whole runs).

Usage: ``python benchmarks/bench_scoring_arrays.py [--quick] [--creators N] [--members M] [--posts P] [--snapshots S]``
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from influencers.scoring.inputs import PLATFORMS, ScoringInputs
from influencers.scoring.score import score_creators


def synthetic_inputs(creators: int = 20_000, members: int = 200, posts: int = 24, snapshots: int = 90,
                     seed: int = 0) -> ScoringInputs:
    rng = np.random.default_rng(seed)
    n = creators
    followers = np.round(10 ** rng.uniform(3, 6.5, n))
    platform = rng.integers(0, len(PLATFORMS), n)
    as_of = np.datetime64("2026-10-01")

    pc = np.repeat(np.arange(n), posts)
    published = as_of.astype("datetime64[s]") - rng.integers(0, 90 * 86400, n * posts).astype("timedelta64[s]")
    er = 10 ** rng.normal(-1.6, 0.25, n * posts)
    eng = followers[pc] * er
    likes = np.round(eng * 0.97)
    comments = np.round(eng * 0.03)
    views = np.where(np.isin(platform[pc], [1, 2, 9]), np.round(likes / 0.07), np.nan)

    sc = np.repeat(np.arange(n), snapshots)
    day = as_of - (snapshots - 1 - np.tile(np.arange(snapshots), n)).astype("timedelta64[D]")
    growth = rng.normal(0.001, 0.0005, n * snapshots) * followers[sc]
    snap_followers = followers[sc] - np.cumsum(growth[::-1])[::-1] % followers[sc]

    pool = n * members // 2
    member_followers = np.round(10 ** rng.normal(2.3, 0.7, pool))
    member_following = np.round(10 ** rng.normal(2.5, 0.5, pool))
    return ScoringInputs(
        platform=platform, followers=followers, following=rng.integers(50, 2000, n),
        posts_count=rng.integers(50, 3000, n), sample_date=np.full(n, as_of),
        post_creator=pc, post_published_at=published, post_likes=likes, post_comments=comments, post_views=views,
        post_is_contest=rng.random(n * posts) < 0.01,
        snapshot_creator=sc, snapshot_date=day, snapshot_followers=snap_followers,
        snapshot_following=np.full(n * snapshots, 500.0),
        member_followers=member_followers, member_following=member_following,
        member_posts_count=np.round(10 ** rng.normal(1.8, 0.8, pool)), member_has_avatar=rng.random(pool) < 0.9,
        member_bio_length=rng.integers(0, 150, pool),
        member_created_at=as_of - rng.integers(30, 4000, pool).astype("timedelta64[D]"),
        member_last_post_at=as_of - rng.integers(0, 400, pool).astype("timedelta64[D]"),
        sample_creator=np.repeat(np.arange(n), members), sample_member=rng.integers(0, pool, n * members),
        comment_source=rng.integers(0, n, n), comment_target=rng.integers(0, n, n),
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small size (2,000 creators)")
    parser.add_argument("--creators", type=int, default=None, help="default 20,000 (--quick: 2,000)")
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--posts", type=int, default=24)
    parser.add_argument("--snapshots", type=int, default=90)
    args = parser.parse_args(argv)
    args.creators = args.creators or (2_000 if args.quick else 20_000)
    t0 = time.perf_counter()
    inputs = synthetic_inputs(args.creators, args.members, args.posts, args.snapshots)
    t1, cpu1 = time.perf_counter(), time.process_time()
    result = score_creators(inputs)
    t2, cpu2 = time.perf_counter(), time.process_time()
    flagged = {name: int(f.flagged.sum()) for name, f in result.flags.items()}
    print(f"built inputs in {t1 - t0:.2f}s; scored {args.creators} creators in {t2 - t1:.2f}s "
          f"(CPU {cpu2 - cpu1:.2f}s); flags: {flagged}")


if __name__ == "__main__":
    main()
