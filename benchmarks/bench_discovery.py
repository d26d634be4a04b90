"""Benchmark discovery search latency (p50 / p99) over 100,000 scored creators.

    python benchmarks/bench_discovery.py                   # 100,000 creators, temp SQLite file
    python benchmarks/bench_discovery.py --quick           # 10,000 creators, 50 queries per variant
    python benchmarks/bench_discovery.py --database-url postgresql://postgres@127.0.0.1:5432/test

Building 100k creators through import + scoring would take far too long, so the rows
are synthetic and bulk-inserted (sqlite3 ``executemany`` / psycopg ``COPY``), seeded:
creators (platform, country and language, log-normal followers), 1-3 categories each,
one current ``creator_scores`` row per creator (plus ``--history`` older, non-current
runs, as after repeated scoring runs) with plausible score / authenticity /
engagement distributions and ~20% flagged creators, ``audience_shares`` for
country (home country dominant), gender and age range; for the brand, contact and
growth filters, an e-mail for ~45% of creators, six follower snapshots each over the
last 85 days, and 12 brands in competing pairs mentioned by ~15% of creators (1-4
posts each over the last 120 days, 30% sponsored).

Variants (each its documented kind of filter, ``variants()``): profile + score, audience
share + flag, audience share below the lookup index's minimum, category + followers +
fake share, a brand mentioned + contact, not sponsored by a brand's group + contact, and
30-day follower growth.

Then, per variant, ``--queries`` searches with varied filter values, each in its own
read transaction as an API request would, doing what ``GET /v1/discovery/creators``
does in the database: ``discovery.search_page`` (a page of 20 with its categories and the
total, one statement over a materialised CTE of the matches) and the page's growth. Aim:
p99 < 50 ms, every variant. ``--explain`` prints the plans of the id query and of a plain COUNT per
variant (EXPLAIN QUERY PLAN on SQLite, EXPLAIN ANALYZE on PostgreSQL).

The tables are measured as the application leaves them after a bulk import and a
scoring run, i.e. with fresh planner statistics (``Database.refresh_statistics``:
``PRAGMA analysis_limit=1000; ANALYZE`` on SQLite; on PostgreSQL ``ANALYZE`` of the
imported tables and ``VACUUM (ANALYZE)`` of the scoring run's);
``--no-analyze`` measures them without.
On PostgreSQL the database is a fresh schema, dropped at the end unless --keep.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from benchmarks.common import Target, insert_rows, remove_workdir  # noqa: E402
from influencers.brands.service import name_key  # noqa: E402
from influencers.creators.service import CreatorFilters  # noqa: E402
from influencers.db import Database  # noqa: E402
from influencers.discovery import (  # noqa: E402
    SORTABLE,
    AudienceCondition,
    DiscoveryQuery,
    discovery_select,
    page_ids_select,
    search_page,
    sql_search_page,
)
from influencers.discovery import index as discovery_index  # noqa: E402
from influencers.jobs.models import Job  # noqa: E402
from influencers.scoring.attributes import attribute_code  # noqa: E402
from influencers.scoring.runs import create_run  # noqa: E402
from influencers.scoring.store import FLAG_BITS, ScoringRun  # noqa: E402

PLATFORMS = ("instagram", "tiktok", "youtube", "twitter", "facebook")
PLATFORM_WEIGHTS = (0.40, 0.25, 0.15, 0.13, 0.07)
COUNTRIES = {  # country: (weight, language)
    "US": (22, "en"), "FR": (10, "fr"), "GB": (8, "en"), "DE": (8, "de"), "BR": (8, "pt"), "IN": (7, "en"),
    "ES": (6, "es"), "IT": (6, "it"), "MX": (4, "es"), "CA": (4, "en"), "JP": (3, "ja"), "AU": (3, "en"),
    "NL": (2, "nl"), "TR": (2, "tr"), "PL": (2, "pl"), "ID": (2, "id"), "SE": (1, "sv"), "BE": (1, "fr"),
    "PT": (1, "pt"), "AR": (1, "es"),
}
NICHES = ("beauty", "fashion", "fitness", "food", "travel", "gaming", "tech", "music", "parenting", "finance",
          "sports", "pets", "home", "education", "comedy")
GENDERS = ("female", "male", "other")
AGE_RANGES = ("13-17", "18-24", "25-34", "35-44", "45-54", "55-64", "65+")
FLAGS = tuple(FLAG_BITS)
PAGE_SIZE = 20
AIM_MS = 50.0
NOW = dt.datetime(2026, 11, 1, 12, 0, 0)
SNAPSHOT_DAYS_AGO = (85, 60, 40, 25, 10, 1)
BRANDS = tuple(f"Brand{b:02d}" for b in range(1, 13))


# -- synthetic data ---------------------------------------------------------------------------------


def explanation_template(size: int) -> str:
    """A JSON object of about ``size`` bytes shaped like a score explanation, with ``%`` slots per creator.

    Real explanations (components, authenticity, audience, engagement, reach, flags,
    notes) average ~5.8 kB: their size decides how many pages a scan of
    ``creator_scores`` rows touches (SQLite keeps them in the row; PostgreSQL TOASTs them)."""
    base = {"creator_id": 0, "score": {"value": 0.0, "kind": "estimated"},
            "authenticity": {"value": 0.0, "kind": "estimated"}, "notes": []}
    note = "synthetic explanation text standing in for components, audience, engagement and reach details"
    while len(json.dumps(base)) < size:
        base["notes"].append(note)
    text_ = json.dumps(base).replace('"creator_id": 0', '"creator_id": %d')
    return text_.replace('"score": {"value": 0.0', '"score": {"value": %.4f').replace(
        '"authenticity": {"value": 0.0', '"authenticity": {"value": %.4f')


def synthetic_tables(n: int, workspace_id: int, run_ids: list[int], model_version: str, seed: int,
                     sqlite: bool, explanation_bytes: int) -> dict[str, tuple[list[str], list[tuple]]]:
    """Rows per table (columns, tuples), in the driver's types (sqlite3: ISO strings, 0/1, JSON text)."""
    rng = np.random.default_rng(seed)
    ids = np.arange(1, n + 1)
    platform = rng.choice(len(PLATFORMS), n, p=PLATFORM_WEIGHTS)
    codes = list(COUNTRIES)
    weights = np.array([w for w, _ in COUNTRIES.values()], float)
    country = rng.choice(len(codes), n, p=weights / weights.sum())
    followers = np.maximum(100, np.round(10 ** rng.normal(4.2, 0.8, n))).astype(np.int64)
    following = np.round(10 ** rng.normal(2.7, 0.5, n)).astype(np.int64)
    posts_count = np.round(10 ** rng.normal(2.5, 0.5, n)).astype(np.int64)
    verified = rng.random(n) < 0.03
    has_email = rng.random(n) < 0.45

    def ts(value: dt.datetime):
        return value.isoformat(" ", "microseconds") if sqlite else value.replace(tzinfo=dt.UTC)

    def boolean(value: bool):
        return int(value) if sqlite else bool(value)

    def js(value):
        return json.dumps(value)

    now = ts(NOW)
    creators = (
        ["id", "workspace_id", "platform", "handle", "display_name", "country", "language", "followers",
         "following", "posts_count", "verified", "email", "created_at", "updated_at", "version"],
        [(int(i), workspace_id, PLATFORMS[p], f"{PLATFORMS[p][:2]}_creator_{i}", f"Creator {i}", codes[c],
          COUNTRIES[codes[c]][1], int(f), int(g), int(k), boolean(v), f"creator{i}@example.com" if e else None,
          now, now, 1)
         for i, p, c, f, g, k, v, e in zip(ids, platform, country, followers, following, posts_count, verified,
                                           has_email)],
    )

    n_categories = rng.integers(1, 4, n)
    categories = []
    for i, k in zip(ids, n_categories):
        for niche in rng.choice(len(NICHES), k, replace=False):
            categories.append((int(i), NICHES[niche]))

    template = explanation_template(explanation_bytes)
    score_rows, explanation_rows = [], []
    score_id = 0
    for r, run_id in enumerate(run_ids):
        current = r == len(run_ids) - 1
        fake = np.clip(rng.beta(2, 12, n), 0, 1)
        flag_bits = np.zeros(n, np.int64)
        flagged = rng.random(n) < 0.2
        for bit in FLAG_BITS.values():
            flag_bits |= np.where(flagged & (rng.random(n) < 0.3), bit, 0)
        penalty = np.where(flag_bits > 0, rng.uniform(0.5, 0.9, n), 1.0)
        authenticity = 100 * (1 - fake) * penalty
        engagement_rate = 10 ** rng.normal(-1.6, 0.35, n)
        engagement_quality = rng.beta(5, 5, n)
        reach_component = np.clip((np.log10(followers) - 2) / 5, 0, 1)
        centrality = rng.beta(1.5, 6, n)
        score = 40 * authenticity / 100 + 25 * engagement_quality + 20 * reach_component + 15 * centrality
        reachable = np.clip(1 - fake - rng.uniform(0.05, 0.25, n), 0, 1)
        confidence = rng.uniform(0.5, 0.95, n)
        as_of = (NOW.date() - dt.timedelta(days=7 * (len(run_ids) - 1 - r))).isoformat()
        for j in range(n):
            score_id += 1
            bits = int(flag_bits[j])
            flags = [name for name, bit in FLAG_BITS.items() if bits & bit]
            score_rows.append((
                score_id, workspace_id, run_id, int(ids[j]), boolean(current), model_version,
                as_of if sqlite else dt.date.fromisoformat(as_of),
                float(score[j]), float(authenticity[j]), float(engagement_quality[j]), float(reach_component[j]),
                float(centrality[j]), float(fake[j]), float(max(fake[j] - 0.05, 0)), float(min(fake[j] + 0.05, 1)),
                float(reachable[j]), float(engagement_rate[j]), None, int(followers[j] * reachable[j] * 0.1), 200,
                float(confidence[j]), bits, js(flags),
            ))
            explanation_rows.append((score_id, template % (int(ids[j]), score[j], authenticity[j])))
    scores = (
        ["id", "workspace_id", "run_id", "creator_id", "is_current", "model_version", "as_of", "score",
         "authenticity", "engagement_quality", "reach_component", "centrality", "fake_follower_share",
         "fake_follower_share_low", "fake_follower_share_high", "reachable_share", "engagement_rate",
         "engagement_rate_views", "estimated_reach", "sample_size", "confidence", "flag_bits", "flags"],
        score_rows,
    )
    explanations = (["score_id", "explanation"], explanation_rows)

    shares = []
    for i, home in zip(ids, country):
        others = rng.choice(len(codes), rng.integers(2, 6), replace=False, p=weights / weights.sum())
        others = [o for o in others if o != home]
        home_share = rng.beta(6, 3)
        rest = rng.dirichlet(np.ones(len(others))) * (1 - home_share) if others else []
        for code, share in [(home, home_share), *zip(others, rest)]:
            shares.append((int(i), attribute_code("country", codes[code]), float(share), 200))
        for dimension, values, alpha in (("gender", GENDERS, (6, 4, 0.3)), ("age_range", AGE_RANGES, (1, 4, 5, 3, 2, 1,
                                                                                                      0.5))):
            for value, share in zip(values, rng.dirichlet(alpha)):
                shares.append((int(i), attribute_code(dimension, value), float(share), 200))
    audience = (["creator_id", "attribute", "share", "sample_size"], shares)
    tables = {"creators": creators, "creator_categories": (["creator_id", "category"], categories),
              "creator_scores": scores, "creator_score_explanations": explanations, "audience_shares": audience}
    tables.update(brand_and_growth_tables(rng, ids, platform, followers, workspace_id, ts, boolean, sqlite))
    return tables


def brand_and_growth_tables(rng: np.random.Generator, ids, platform, followers, workspace_id: int, ts, boolean,
                            sqlite: bool):
    """Follower snapshots (growth filters) and brands with mentions (brand filters), dated from
    today: those filters count days back from the current date.

    Snapshots: ``SNAPSHOT_DAYS_AGO`` per creator (three in the last 30 days), followers moving by a
    per-creator monthly growth rate. Brands: ``BRANDS`` brands in competing pairs; ~15% of creators
    have 1-4 posts mentioning one (30% sponsored) over the last 120 days, one mention per post."""
    today = dt.datetime.now(dt.UTC).date()
    monthly = rng.normal(0.02, 0.05, len(ids))
    snapshots = []
    for i, f, g in zip(ids, followers, monthly):
        for days in SNAPSHOT_DAYS_AGO:
            value = max(1, int(round(f / (1 + g) ** (days / 30))))
            day = today - dt.timedelta(days)
            snapshots.append((int(i), day.isoformat() if sqlite else day, value))
    now = dt.datetime.now(dt.UTC).replace(microsecond=0, tzinfo=None)
    brands = [(b + 1, workspace_id, name, name_key(name), json.dumps({}), json.dumps([]), json.dumps([]),
               json.dumps([]), 1, 1, ts(now), ts(now), 1) for b, name in enumerate(BRANDS)]
    competitors = [(b, b + 1) for b in range(1, len(BRANDS), 2)] + [(b + 1, b) for b in range(1, len(BRANDS), 2)]
    posts, mentions = [], []
    mentioning = ids[rng.random(len(ids)) < 0.15]
    brand_weights = 1 / np.arange(1, len(BRANDS) + 1)
    for creator_id in mentioning:
        for _ in range(int(rng.integers(1, 5))):
            post_id = len(posts) + 1
            published = now - dt.timedelta(days=float(rng.uniform(0, 120)))
            sponsored = bool(rng.random() < 0.3)
            brand_id = int(rng.choice(len(BRANDS), p=brand_weights / brand_weights.sum())) + 1
            likes, comments = int(rng.integers(10, 5000)), int(rng.integers(0, 200))
            plat = PLATFORMS[platform[creator_id - 1]]
            posts.append((post_id, workspace_id, int(creator_id), plat, f"p{post_id}", ts(published), likes, comments,
                          boolean(sponsored), boolean(False), ts(now)))
            mentions.append((brand_id, post_id, workspace_id, int(creator_id), plat, ts(published), boolean(sponsored),
                             "keyword", BRANDS[brand_id - 1].lower(), likes, comments))
    return {
        "follower_snapshots": (["creator_id", "date", "followers"], snapshots),
        "brands": (["id", "workspace_id", "name", "name_key", "handles", "hashtags", "keywords", "exclude_keywords",
                    "rules_version", "matched_rules_version", "created_at", "updated_at", "version"], brands),
        "brand_competitors": (["brand_id", "competitor_id"], competitors),
        "posts": (["id", "workspace_id", "creator_id", "platform", "external_id", "published_at", "likes", "comments",
                   "sponsored", "is_contest", "updated_at"], posts),
        "brand_mentions": (["brand_id", "post_id", "workspace_id", "creator_id", "platform", "published_at",
                            "sponsored", "matched_by", "matched_term", "likes", "comments"], mentions),
    }


def build(target: Target, n: int, history: int, seed: int, explanation_bytes: int, analyze: bool) -> dict[str, int]:
    run_ids = []
    for _ in range(history + 1):
        run_ids.append(create_run(target.db, target.workspace_id))
    with target.db.transaction() as session:
        session.execute(sa.update(ScoringRun).where(ScoringRun.id.in_(run_ids)).values(creators_scored=n))
        session.execute(sa.update(Job).where(Job.id.in_(sa.select(ScoringRun.job_id).where(
            ScoringRun.id.in_(run_ids)))).values(status="succeeded"))
        version = session.get(ScoringRun, run_ids[0]).model_version
    tables = synthetic_tables(n, target.workspace_id, run_ids, version, seed, target.backend == "sqlite",
                              explanation_bytes)
    counts = insert_rows(target, tables, sequences=("creators", "creator_scores", "brands", "posts"))
    if analyze:
        # What the application does after an import and after a scoring run.
        scored = ["creator_scores", "creator_score_explanations", "audience_shares"]
        target.db.refresh_statistics([t for t in tables if t not in scored])  # as after an import
        target.db.refresh_statistics(scored, vacuum=True)  # as after a scoring run
    return counts


# -- queries ------------------------------------------------------------------------------------------


# An audience share below the lookup index's minimum (answered without that index).
BELOW_INDEX = "platform+audience country:XX:<0.05, -score"


def variants(rng: np.random.Generator):
    codes = list(COUNTRIES)
    weights = np.array([w for w, _ in COUNTRIES.values()], float)
    weights /= weights.sum()

    def platform():
        return PLATFORMS[rng.choice(len(PLATFORMS), p=PLATFORM_WEIGHTS)]

    def country():
        return codes[rng.choice(len(codes), p=weights)]

    def profile_score():
        """platform + country + min_authenticity, sort -score."""
        return DiscoveryQuery(creator=CreatorFilters(platform=platform(), country=country()),
                              min_authenticity=float(rng.choice([50, 60, 70, 75, 80, 85])), sort="-score")

    def audience_flag():
        """platform + audience country:XX:share (FR:0.3 most often) + a flag filter, sort -score."""
        value = "FR" if rng.random() < 0.5 else country()
        flag = FLAGS[rng.integers(len(FLAGS))]
        flags = {"without_flags": [flag]} if rng.random() < 0.7 else {"with_flags": [flag]}
        return DiscoveryQuery(creator=CreatorFilters(platform=platform()),
                              audience=[AudienceCondition("country", value, float(rng.choice([0.2, 0.3, 0.4])))],
                              sort="-score", **flags)

    def audience_below_index():
        """platform + audience country:XX:0.01-0.04 (below the lookup index's LOOKUP_MIN_SHARE:
        answered by probing the primary key per candidate creator), sort -score."""
        value = "FR" if rng.random() < 0.5 else country()
        return DiscoveryQuery(creator=CreatorFilters(platform=platform()),
                              audience=[AudienceCondition("country", value, float(rng.choice([0.01, 0.02, 0.04])))],
                              sort="-score")

    def category_engagement():
        """category + min_followers + max_fake_follower_share, sort -engagement_rate."""
        return DiscoveryQuery(creator=CreatorFilters(category=NICHES[rng.integers(len(NICHES))],
                                                     min_followers=int(rng.choice([1_000, 10_000, 50_000]))),
                              max_fake_follower_share=float(rng.choice([0.1, 0.2, 0.3])), sort="-engagement_rate")

    def brand():
        weights = 1 / np.arange(1, len(BRANDS) + 1)
        return BRANDS[rng.choice(len(BRANDS), p=weights / weights.sum())]

    def mentions_brand():
        """mentions_brand (organic or any, last 90 days) + has_contact, sort -score."""
        return DiscoveryQuery(mentions_brand=brand(), mention_kind=str(rng.choice(["any", "organic"])),
                              has_contact=True, sort="-score")

    def not_sponsored():
        """platform + not_sponsored_by_group (a brand and its competitor) + has_contact, sort -score."""
        return DiscoveryQuery(creator=CreatorFilters(platform=platform()), not_sponsored_by_group=brand(),
                              has_contact=True, sort="-score")

    def growth():
        """platform + min_growth_30d (with max_growth_30d a third of the time), sort -score."""
        high = {"max_growth_30d": 0.2} if rng.random() < 0.33 else {}
        return DiscoveryQuery(creator=CreatorFilters(platform=platform()),
                              min_growth_30d=float(rng.choice([0.0, 0.03, 0.05])), sort="-score", **high)

    sorts = [direction + name for name in SORTABLE for direction in ("-", "")]

    def text_search():
        """q (handle / name text, about 1% of creators match) + platform, every sort in turn."""
        return DiscoveryQuery(creator=CreatorFilters(q=f"creator_{rng.integers(10, 100)}", platform=platform()),
                              sort=sorts[rng.integers(len(sorts))])

    def ranges_every_sort():
        """language + followers range + engagement range + min_score + without a flag, every sort in turn."""
        low = int(rng.choice([1_000, 5_000, 20_000]))
        return DiscoveryQuery(creator=CreatorFilters(language=str(rng.choice(["en", "fr", "de", "es"])),
                                                     min_followers=low, max_followers=low * 50),
                              min_engagement_rate=float(rng.choice([0.005, 0.01])),
                              max_engagement_rate=float(rng.choice([0.05, 0.1])),
                              min_score=float(rng.choice([20, 40, 60])),
                              without_flags=[FLAGS[rng.integers(len(FLAGS))]],
                              sort=sorts[rng.integers(len(sorts))])

    def broad_growth_mentions():
        """growth 90d bounds + not sponsored by a brand + has_contact=false + audience age below the
        lookup minimum (country:XX:0.03-like on age_range), sort -followers."""
        return DiscoveryQuery(min_growth_90d=float(rng.choice([-0.1, 0.0, 0.02])), max_growth_90d=0.5,
                              not_sponsored_by=brand(), has_contact=False,
                              audience=[AudienceCondition("age_range", AGE_RANGES[rng.integers(len(AGE_RANGES))],
                                                          float(rng.choice([0.01, 0.03])))],
                              sort="-followers")

    def sponsored_mentions():
        """mentions_brand sponsored within 30-120 days + with a flag, sort handle."""
        return DiscoveryQuery(mentions_brand=brand(), mention_kind="sponsored",
                              mention_within_days=int(rng.choice([30, 60, 120])),
                              with_flags=[FLAGS[rng.integers(len(FLAGS))]] if rng.random() < 0.3 else [],
                              sort="handle")

    return {"platform+country+min_authenticity, -score": profile_score,
            "platform+audience country:XX:share+flag, -score": audience_flag,
            BELOW_INDEX: audience_below_index,
            "category+min_followers+max_fake, -engagement_rate": category_engagement,
            "mentions_brand+mention_kind+has_contact, -score": mentions_brand,
            "platform+not_sponsored_by_group+has_contact, -score": not_sponsored,
            "platform+min_growth_30d[+max], -score": growth,
            "q+platform, every sort": text_search,
            "language+followers+engagement+score+flag, every sort": ranges_every_sort,
            "growth_90d+not_sponsored_by+no contact+age:<0.05": broad_growth_mentions,
            "mentions_brand sponsored[+flag], handle": sponsored_mentions}


def count_statement(stmt):
    """A plain COUNT of the matches (what ``search_page`` sends for a page past the end)."""
    only_rows = stmt.order_by(None).with_only_columns(sa.literal_column("1"))
    return sa.select(sa.func.count()).select_from(only_rows.subquery())


def one_search(db: Database, workspace_id: int, query: DiscoveryQuery, path: str = "index"
               ) -> tuple[float, float, int]:
    """(seconds, CPU seconds of this process, matches) of one API search's database part:
    ``search_page`` (the page's rows with their categories and growth, and the total), in one
    read transaction (``bench_http.py`` measures the whole request)."""
    cpu = time.process_time()
    with db.transaction(write=False) as session:
        started = time.perf_counter()
        search = search_page if path == "index" else sql_search_page
        page = search(session, workspace_id, query, offset=0, limit=PAGE_SIZE)
        seconds = time.perf_counter() - started
    assert len(page.rows) == len(page.growth) == min(PAGE_SIZE, page.total)
    return seconds, time.process_time() - cpu, page.total


def explain(target: Target, query: DiscoveryQuery) -> list[str]:
    stmt = discovery_select(target.workspace_id, query)
    out = []
    page_ids, _ = page_ids_select(target.workspace_id, query, offset=0, limit=PAGE_SIZE)
    for label, s in (("page ids + total", page_ids),
                     ("count", count_statement(stmt))):
        compiled = s.compile(dialect=target.db.engine.dialect, compile_kwargs={"literal_binds": True})
        prefix = "EXPLAIN QUERY PLAN " if target.backend == "sqlite" else "EXPLAIN (ANALYZE, BUFFERS) "
        with target.db.engine.connect() as conn:
            rows = conn.exec_driver_sql(prefix + str(compiled)).all()
        out.append(f"  {label}:")
        out += [f"    {r[-1]}" for r in rows]
    return out


def index_build(target: Target) -> str:
    """Builds the workspace's columnar index as a server process would (timed), and says what it holds."""
    discovery_index.BUILD_IN_BACKGROUND = False
    cpu, started = time.process_time(), time.perf_counter()
    with target.db.transaction(write=False) as session:
        index = discovery_index.usable_index(session, target.workspace_id)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    assert index is not None
    return (f"  columnar index: {index.size:,} creators built in {wall:.2f} s ({cpu:.2f} s CPU), "
            f"{index.nbytes / 2**20:.1f} MiB ({index.nbytes / max(index.size, 1):,.0f} bytes per creator: "
            f"{index.audience.nnz:,} audience shares, {len(index.snapshot_day):,} snapshots, "
            f"{len(index.mention_creator):,} mentions)")


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values) * 1000, q))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--creators", type=int, default=100_000)
    parser.add_argument("--quick", action="store_true", help="10,000 creators, 50 queries per variant")
    parser.add_argument("--queries", type=int, default=200, help="timed searches per variant")
    parser.add_argument("--warmup", type=int, default=10, help="untimed searches per variant first")
    parser.add_argument("--history", type=int, default=1, help="older, non-current scoring runs per creator")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    parser.add_argument("--explanation-bytes", type=int, default=5800,
                        help="size of each score's explanation JSON (a real run's average: ~5.8 kB)")
    parser.add_argument("--no-analyze", dest="analyze", action="store_false",
                        help="skip the statistics refresh the app runs after imports and scoring runs")
    parser.add_argument("--explain", action="store_true", help="print one plan per variant")
    parser.add_argument("--keep", action="store_true", help="keep the database")
    parser.add_argument("--path", choices=("index", "sql", "both"), default="both",
                        help="search through the columnar index (as the app does once it is built), in SQL, or both")
    args = parser.parse_args(argv)
    creators = 10_000 if args.quick else args.creators
    queries = 50 if args.quick else args.queries

    workdir = Path(tempfile.mkdtemp(prefix="bench_discovery_"))
    target = Target(args.database_url, workdir, "discovery")
    try:
        print(f"building {creators:,} synthetic scored creators in {target.backend} ...", flush=True)
        started = time.perf_counter()
        counts = build(target, creators, args.history, args.seed, args.explanation_bytes, args.analyze)
        print(f"  {time.perf_counter() - started:.1f} s: " + ", ".join(f"{t} {n:,}" for t, n in counts.items()),
              flush=True)

        if args.path in ("index", "both"):
            print(index_build(target), flush=True)
        results = {}
        for path in ("index", "sql") if args.path == "both" else (args.path,):
            rng = np.random.default_rng(args.seed + 1)  # the same queries on either path
            for name, make in variants(rng).items():
                for _ in range(args.warmup):
                    one_search(target.db, target.workspace_id, make(), path)
                wall, cpu, matched = [], [], []
                for _ in range(queries):
                    seconds, cpu_seconds, total = one_search(target.db, target.workspace_id, make(), path)
                    wall.append(seconds)
                    cpu.append(cpu_seconds)
                    matched.append(total)
                results[f"{path}: {name}"] = (wall, cpu, matched)
                if args.explain and path == "sql":
                    print(f"\n{name}:")
                    print("\n".join(explain(target, make())))

        header = f"{'variant':<59} {'matches':>8} {'p50':>7} {'p90':>7} {'p99':>7} {'max':>7} {'cpu p50':>8} {'p99':>7}"
        stats = "ANALYZEd" if args.analyze else "no ANALYZE"
        print(f"\n{target.backend} ({stats}), {creators:,} creators, {queries} searches per variant "
              f"(a page of {PAGE_SIZE} with its total, as the API answers), milliseconds:")
        print(header)
        print("-" * len(header))
        worst: dict[str, float] = {}
        for name, (wall, cpu, matched) in results.items():
            path = name.split(":")[0]
            worst[path] = max(worst.get(path, 0.0), pct(wall, 99))
            print(f"{name:<59} {np.median(matched):>8,.0f} {pct(wall, 50):>7.1f} {pct(wall, 90):>7.1f} "
                  f"{pct(wall, 99):>7.1f} {max(wall) * 1000:>7.1f} {pct(cpu, 50):>8.1f} {pct(cpu, 99):>7.1f}")
        print("(matches: median total; cpu: CPU time of this process -- on SQLite the whole query, "
              "roughly the wall time on an idle machine; on PostgreSQL the client side only)")
        print("(the aim is over every variant: each documented kind of filter, the audience share below the "
              "lookup index's minimum included)")
        for path, value in worst.items():
            verdict = "meets" if value < AIM_MS else "MISSES"
            print(f"\nsummary: discovery ({target.backend}, {path} path) {creators:,} creators: worst p99 "
                  f"{value:.1f} ms ({verdict} the {AIM_MS:.0f} ms aim); "
                  + "; ".join(f"{name.split(',')[0].split(': ')[1]} p99 {pct(r[0], 99):.1f} ms"
                              for name, r in results.items() if name.startswith(path + ":")))
        print(f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    finally:
        if not args.keep:
            target.drop()
            remove_workdir(workdir)
        else:
            print(f"kept: {target.url}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
