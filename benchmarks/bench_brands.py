"""Benchmark brand monitoring: re-matching posts against brands, and the mentions / share-of-voice reads.

    python benchmarks/bench_brands.py                    # 1,000,000 posts, 100,000 creators, 200 brands
    python benchmarks/bench_brands.py --quick            # 100,000 posts, 10,000 creators
    python benchmarks/bench_brands.py --database-url postgresql://postgres@127.0.0.1:5432/test

Synthetic, seeded rows are bulk-inserted (creators with a current score, posts over the last
180 days whose captions are drawn from a vocabulary; ~8% of posts name one brand by keyword,
hashtag or @-mention, some with excluded words; brands Zipf-popular, so the first brand has ~1/6
of the mentions). 200 brands, each with a handle, two hashtags, two keywords (one of two words),
an exclusion, and three competitors (the next three brands).

Figures:

* **re-match**: ``rematch`` of every post against all 200 brands (what the job does), first
  with no stored mentions (all inserted), then again (nothing changes). Aim: < 60 s for
  1,000,000 posts. The **floor** is reading the same columns the matcher needs (id, caption,
  hashtags, mentions, ...) from the database into Python tuples on the raw driver connection;
  ratio = re-match / floor.
* **mentions page**: what ``GET /v1/brands/{id}/mentions`` does for a random brand over 90
  days (a page of 20 and its COUNT), and **share of voice**: ``GET /v1/brands/{id}/share-of-voice``
  over 90 days (the brand and its three competitors), each in its own read transaction;
  p50 / p99 over ``--queries`` requests (random brands, every tenth the most mentioned one).
  Aim: p99 < 100 ms.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from benchmarks.common import Target, Timed, insert_rows, load_average, scratch_target  # noqa: E402
from influencers.brands import reports  # noqa: E402
from influencers.brands.models import Brand  # noqa: E402
from influencers.brands.rematch import rematch  # noqa: E402
from influencers.brands.service import group_ids  # noqa: E402
from influencers.jobs.models import Job  # noqa: E402
from influencers.scoring.runs import create_run  # noqa: E402
from influencers.scoring.store import ScoringRun  # noqa: E402

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
PLATFORMS = ("instagram", "tiktok", "youtube")
WORDS = ("love this new look today sunny morning coffee with friends city walk outfit of the day "
         "summer vibes weekend trip food recipe dinner lunch healthy workout gym run yoga home "
         "decor style beauty skincare routine travel beach mountain sunset photo family kids "
         "music live show fashion week sale haul review unboxing tips tricks life").split()


def brand_rules(n: int):
    brands = []
    for i in range(n):
        brands.append({
            "name": f"Brand {i}", "name_key": f"brand {i}",
            "handles": {"instagram": [f"brand{i}"], "tiktok": [f"brand{i}.tt"]},
            "hashtags": [f"brand{i}", f"brand{i}style"],
            "keywords": [f"brandname{i}", f"brand{i} shoes"],
            "exclude_keywords": [f"fake{i}"],
        })
    return brands


def captions(rng: np.random.Generator, n_posts: int, n_brands: int):
    """(caption, hashtags, mentions) per post: 8% name a brand, 0.5% with an excluded word too."""
    vocab = np.array(WORDS)
    lengths = rng.integers(8, 25, n_posts)
    words = rng.integers(0, len(vocab), int(lengths.sum()))
    # Brands are Zipf-popular: the first has ~1/6 of all mentions (200 brands), the last a handful.
    popularity = 1 / np.arange(1, n_brands + 1)
    brand = rng.choice(n_brands, n_posts, p=popularity / popularity.sum())
    how = rng.random(n_posts)
    out = []
    start = 0
    for i, length in enumerate(lengths.tolist()):
        text = " ".join(vocab[words[start:start + length]])
        start += length
        tags, mentions = ["ootd"], []
        h = how[i]
        b = int(brand[i])
        if h < 0.02:
            text += f" thanks @brand{b}"
        elif h < 0.04:
            tags.append(f"Brand{b}")
        elif h < 0.06:
            text = f"Brandname{b} " + text
        elif h < 0.075:
            text += f" my new brand{b} SHOES #brand{b}style"
        elif h < 0.08:
            text += f" brandname{b} fake{b}"
        elif h < 0.09:
            mentions.append(f"brand{b}")
        out.append((text, tags, mentions))
    return out


def build(target: Target, n_creators: int, n_posts: int, n_brands: int, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    sqlite = target.backend == "sqlite"
    ws = target.workspace_id

    def ts(value: dt.datetime):
        return value.replace(tzinfo=None).isoformat(" ", "microseconds") if sqlite else value

    def boolean(value):
        return int(value) if sqlite else bool(value)

    run_id = create_run(target.db, ws)
    with target.db.transaction() as session:
        session.execute(sa.update(Job).where(Job.id == sa.select(ScoringRun.job_id).where(ScoringRun.id == run_id)
                                             .scalar_subquery()).values(status="succeeded"))
        version = session.get(ScoringRun, run_id).model_version
    now = ts(NOW)
    creator_platform = rng.integers(0, len(PLATFORMS), n_creators)
    followers = np.maximum(100, np.round(10 ** rng.normal(4.2, 0.8, n_creators))).astype(np.int64)
    tables = {
        "creators": (["id", "workspace_id", "platform", "handle", "followers", "following", "posts_count",
                      "verified", "created_at", "updated_at", "version"],
                     [(i + 1, ws, PLATFORMS[p], f"creator_{i + 1}", int(f), 100, 100, boolean(False), now, now, 1)
                      for i, (p, f) in enumerate(zip(creator_platform.tolist(), followers.tolist()))]),
        "creator_scores": (["id", "workspace_id", "run_id", "creator_id", "is_current", "model_version", "score",
                            "authenticity", "estimated_reach", "sample_size", "flag_bits", "flags"],
                           [(i + 1, ws, run_id, i + 1, boolean(True), version, 50.0, 90.0, int(f * 0.1), 0, 0, "[]")
                            for i, f in enumerate(followers.tolist())]),
    }
    post_creator = rng.integers(1, n_creators + 1, n_posts)
    age = rng.random(n_posts) * 180 * 86400
    sponsored = rng.random(n_posts) < 0.15
    likes = rng.integers(0, 5000, n_posts)
    comments = rng.integers(0, 300, n_posts)
    texts = captions(rng, n_posts, n_brands)
    tables["posts"] = (
        ["id", "workspace_id", "creator_id", "platform", "external_id", "published_at", "likes", "comments",
         "sponsored", "caption", "hashtags", "mentions", "is_contest", "updated_at"],
        [(i + 1, ws, c, PLATFORMS[creator_platform[c - 1]], f"p{i + 1}", ts(NOW - dt.timedelta(seconds=a)),
          int(lk), int(cm), boolean(s), text, json.dumps(tags), json.dumps(mentions), boolean(False), now)
         for i, (c, a, lk, cm, s, (text, tags, mentions)) in enumerate(zip(
             post_creator.tolist(), age.tolist(), likes.tolist(), comments.tolist(), sponsored.tolist(), texts))])
    brands = brand_rules(n_brands)
    tables["brands"] = (
        ["id", "workspace_id", "name", "name_key", "handles", "hashtags", "keywords", "exclude_keywords",
         "rules_version", "matched_rules_version", "created_at", "updated_at", "version"],
        [(i + 1, ws, b["name"], b["name_key"], json.dumps(b["handles"]), json.dumps(b["hashtags"]),
          json.dumps(b["keywords"]), json.dumps(b["exclude_keywords"]), 1, 0, now, now, 1)
         for i, b in enumerate(brands)])
    tables["brand_competitors"] = (["brand_id", "competitor_id"], [
        (i + 1, (i + k) % n_brands + 1) for i in range(n_brands) for k in (1, 2, 3)])
    counts = insert_rows(target, tables, sequences=("creators", "creator_scores", "posts", "brands"))
    target.db.refresh_statistics(["creators", "creator_scores", "posts", "brands", "brand_competitors"])
    return counts


def read_floor(target: Target) -> tuple[float, float]:
    """Reading the columns the matcher needs, on the raw driver connection, into tuples."""
    raw = target.db.engine.raw_connection()
    try:
        cur = raw.driver_connection.cursor()
        with Timed() as read:
            cur.execute("SELECT id, creator_id, platform, published_at, sponsored, likes, comments, caption, "
                        "hashtags::text, mentions::text FROM posts WHERE workspace_id = %s ORDER BY id"
                        if target.backend == "postgresql" else
                        "SELECT id, creator_id, platform, published_at, sponsored, likes, comments, caption, "
                        "hashtags, mentions FROM posts WHERE workspace_id = ? ORDER BY id", (target.workspace_id,))
            rows = cur.fetchall()
        del rows
        return read.wall, read.cpu
    finally:
        raw.close()


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values) * 1000, q))


def latencies(target: Target, n_brands: int, queries: int, seed: int) -> dict[str, list[float]]:
    """Wall times per request, and (under "... CPU") this process's CPU time per request: on a
    shared machine the wall time includes waiting for a core, the CPU time does not (SQLite runs
    in this process; PostgreSQL's server time is not in it)."""
    rng = np.random.default_rng(seed)
    out: dict[str, list[float]] = {"mentions page": [], "share of voice": [], "mentions page CPU": [],
                                   "share of voice CPU": []}
    period = reports.Period.of(None, None)
    filters = reports.MentionFilters(period=period)
    for q in range(queries):
        # Every tenth request is for the most mentioned brand (its group is the largest).
        brand_id = 1 if q % 10 == 0 else int(rng.integers(1, n_brands + 1))
        with Timed() as step, target.db.transaction(write=False) as session:
            stmt = reports.mentions_select(target.workspace_id, brand_id, filters)
            rows = [reports.mention_row(r) for r in session.execute(stmt.limit(20)).all()]
            total = session.scalar(reports.mentions_count_select(brand_id, filters))
        out["mentions page"].append(step.wall)
        out["mentions page CPU"].append(step.cpu)
        assert total >= len(rows)
        with Timed() as step, target.db.transaction(write=False) as session:
            brand = session.get(Brand, brand_id)
            report = reports.share_of_voice(session, target.workspace_id, brand, group_ids(session, brand), filters)
        out["share of voice"].append(step.wall)
        out["share of voice CPU"].append(step.cpu)
        assert len(report["brands"]) == 4
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--creators", type=int, default=100_000)
    parser.add_argument("--brands", type=int, default=200)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--quick", action="store_true", help="100,000 posts, 10,000 creators, 50 queries")
    parser.add_argument("--database-url")
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args(argv)
    if args.quick:
        args.posts, args.creators, args.queries = 100_000, 10_000, 50
    with scratch_target(args.database_url, "brands") as (target, _workdir):
        started = time.perf_counter()
        counts = build(target, args.creators, args.posts, args.brands, args.seed)
        print(f"{target.backend}: built {counts} in {time.perf_counter() - started:.1f} s")
        ids = list(range(1, args.brands + 1))
        target.warm_page_cache()
        floor, floor_cpu = read_floor(target)
        target.warm_page_cache()
        with Timed() as step:
            first = rematch(target.db, target.workspace_id, ids)
        first_s, first_cpu = step.wall, step.cpu
        target.db.refresh_statistics(["brand_mentions"])
        target.warm_page_cache()
        with Timed() as step:
            again = rematch(target.db, target.workspace_id, ids)
        again_s, again_cpu = step.wall, step.cpu
        print(f"read floor (same columns, raw driver): {floor:.2f} s (CPU {floor_cpu:.2f} s) for {args.posts:,} posts")
        print(f"re-match, nothing stored yet: {first_s:.2f} s ({first_s / floor:.1f}x floor), CPU {first_cpu:.2f} s "
              f"({first_cpu / floor_cpu:.1f}x); {first['inserted']:,} mentions inserted")
        print(f"re-match again: {again_s:.2f} s ({again_s / floor:.1f}x floor), CPU {again_cpu:.2f} s "
              f"({again_cpu / floor_cpu:.1f}x); inserted {again['inserted']}, deleted {again['deleted']}, "
              f"updated {again['updated']}, unchanged {again['unchanged']:,}")
        print(f"during the run: {load_average()}")
        target.warm_page_cache()
        for name, values in latencies(target, args.brands, args.queries, args.seed).items():
            print(f"{name}: p50 {pct(values, 50):.1f} ms, p99 {pct(values, 99):.1f} ms over {len(values)} requests")
    return 0


if __name__ == "__main__":
    sys.exit(main())
