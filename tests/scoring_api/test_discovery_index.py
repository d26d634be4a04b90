"""Discovery's columnar index answers every search as the SQL search does, and is never stale.

The demo workspace (scored) is given edge cases: tied scores and followers, NULL score
columns, unscored creators, empty and missing e-mails, non-ASCII display names, brands with
competitors and mentions, recent follower snapshots (a zero start among them), and another
workspace holding copies of its creators (which no search of the first may find).

The module stays on one worker, which builds that workspace and starts the writing process once.
"""
from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

import numpy as np
import pytest
from sqlalchemy import delete, insert, select, text, update

from influencers.brands.discovery import growth_for
from influencers.brands.models import Brand, BrandCompetitor, BrandMention
from influencers.brands.service import name_key
from influencers.creators.models import Creator, CreatorCategory, FollowerSnapshot, Post
from influencers.creators.service import CreatorFilters
from influencers.discovery import (
    SORTABLE,
    AudienceCondition,
    DiscoveryQuery,
    indexed_search_page,
    search_page,
    sql_search_page,
)
from influencers.discovery import index as discovery_index
from influencers.scoring.attributes import attribute_of
from influencers.scoring.store import FLAG_BITS, AudienceShare, CreatorScore
from tests.fixtures.api import make_workspace
from tests.fixtures.database import open_database
from tests.fixtures.scoring import SCORED_DEMO, scored_demo

pytestmark = pytest.mark.xdist_group("discovery-index")

TODAY = dt.datetime.now(dt.UTC).date()
NOW = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


def _edge_cases(db, workspace_id: int) -> dict:
    rng = np.random.default_rng(5)
    with db.transaction() as session:
        creators = session.execute(select(Creator).where(Creator.workspace_id == workspace_id)
                                   .order_by(Creator.id)).scalars().all()
        ids = [c.id for c in creators]
        score_ids = dict(session.execute(select(CreatorScore.creator_id, CreatorScore.id).where(
            CreatorScore.workspace_id == workspace_id, CreatorScore.is_current)).all())
        for k, creator_id in enumerate(ids):
            values = {}
            if k < 15:
                values["score"] = 50.0  # ties
            if 10 <= k < 18:
                values["engagement_rate"] = None
            if 12 <= k < 17:
                values.update(fake_follower_share=None, estimated_reach=None, centrality=None)
            if 20 <= k < 24:
                values["authenticity"] = 70.0
            if values:
                session.execute(update(CreatorScore).where(CreatorScore.id == score_ids[creator_id]).values(**values))
        unscored = ids[-5:]
        session.execute(update(CreatorScore).where(CreatorScore.creator_id.in_(unscored)).values(is_current=False))
        for k, creator in enumerate(creators):
            creator.email = [None, "", f"c{k}@example.com"][k % 3]
            if k < 10:
                creator.followers = 10_000
            if k % 7 == 0:
                creator.display_name = ["Émile ÉCOLE", "Zoë ANNA", "ÅSA Berg"][k % 3]
        categories = ["food", "travel", "tech"]
        session.execute(delete(CreatorCategory).where(CreatorCategory.creator_id.in_(ids[:30])))
        session.execute(insert(CreatorCategory), [{"creator_id": i, "category": categories[k % 3]}
                                                  for k, i in enumerate(ids[:30])])
        acme = Brand(workspace_id=workspace_id, name="Acme", name_key=name_key("Acme"))
        beta = Brand(workspace_id=workspace_id, name="Beta", name_key=name_key("Beta"))
        session.add_all([acme, beta])
        session.flush()
        session.execute(insert(BrandCompetitor), [{"brand_id": acme.id, "competitor_id": beta.id}])
        posts = session.execute(select(Post.id, Post.creator_id, Post.platform)
                                .where(Post.workspace_id == workspace_id).order_by(Post.id)).all()
        mentions = []
        for post_id, creator_id, platform in posts[::7]:
            brand = acme if rng.random() < 0.6 else beta
            mentions.append({"brand_id": brand.id, "post_id": post_id, "workspace_id": workspace_id,
                             "creator_id": creator_id, "platform": platform,
                             "published_at": NOW - dt.timedelta(days=float(rng.uniform(0, 150))),
                             "sponsored": bool(rng.random() < 0.4), "matched_by": "keyword",
                             "matched_term": "acme", "likes": 1, "comments": 0})
        session.execute(insert(BrandMention), mentions)
        session.execute(delete(FollowerSnapshot).where(FollowerSnapshot.creator_id.in_(ids)))
        snapshots = []
        for k, creator_id in enumerate(ids):
            days = sorted(set(rng.integers(0, 100, size=int(rng.integers(0, 6))).tolist()))
            for j, ago in enumerate(days):
                followers = 0 if (k == 3 and j == 0) else int(rng.integers(500, 1500))
                snapshots.append({"creator_id": creator_id, "date": TODAY - dt.timedelta(days=ago),
                                  "followers": followers})
        if snapshots:
            session.execute(insert(FollowerSnapshot), snapshots)
    other_id, _key = make_workspace(db, "other")
    with db.transaction() as session:
        run_id = session.scalar(select(CreatorScore.run_id).where(CreatorScore.workspace_id == workspace_id))
        for creator in session.execute(select(Creator).where(Creator.id.in_(ids[:20]))).scalars().all():
            copy = Creator(workspace_id=other_id, platform=creator.platform, handle=creator.handle,
                           display_name=creator.display_name, country=creator.country,
                           language=creator.language, followers=creator.followers, email="x@example.com")
            session.add(copy)
            session.flush()
            session.add(CreatorScore(workspace_id=other_id, run_id=run_id, creator_id=copy.id, is_current=True,
                                     model_version="x", score=99.0, authenticity=99.0, engagement_rate=0.5,
                                     fake_follower_share=0.0, flag_bits=0, flags=[]))
            session.execute(insert(CreatorCategory), [{"creator_id": copy.id, "category": "food"}])
            shares = session.execute(select(AudienceShare.attribute, AudienceShare.share, AudienceShare.sample_size)
                                     .where(AudienceShare.creator_id == creator.id)).all()
            if shares:
                session.execute(insert(AudienceShare), [{"creator_id": copy.id, "attribute": a, "share": s,
                                                         "sample_size": n} for a, s, n in shares])
            session.add(FollowerSnapshot(creator_id=copy.id, date=TODAY - dt.timedelta(days=5), followers=10))
            session.add(FollowerSnapshot(creator_id=copy.id, date=TODAY, followers=100))
        session.add(Brand(workspace_id=other_id, name="Acme", name_key=name_key("Acme")))
    return {"other_id": other_id, "ids": ids}


@pytest.fixture
def edge_db(database_templates, tmp_path):
    """The scored demo with the edge cases, built once per test process; each test gets its own copy."""
    demo = scored_demo(database_templates, SCORED_DEMO)
    template = database_templates.get("discovery-edge-cases",
                                      lambda db: _edge_cases(db, demo.facts["workspace_id"]), start=demo)
    with open_database(tmp_path, template) as db:
        yield db, template.facts["workspace_id"], template.facts


def _random_query(rng, values) -> DiscoveryQuery:
    def maybe(p=0.25):
        return rng.random() < p

    def pick(options):
        return options[int(rng.integers(len(options)))]

    creator = CreatorFilters(
        platform=pick(values["platform"] + ["nowhere"]) if maybe() else None,
        country=pick(values["country"] + ["zz"]).lower() if maybe(0.2) else None,
        language=pick(values["language"]).upper() if maybe(0.15) else None,
        category=pick(values["category"] + ["FOOD", "none"]) if maybe(0.2) else None,
        min_followers=int(pick(values["followers"])) if maybe(0.2) else None,
        max_followers=int(pick(values["followers"])) if maybe(0.15) else None,
        q=pick(["a", "e", "é", "École", "ÉCOLE", "zoë", "ANNA", "åsa", "_", "%", "xyz", "er"]) if maybe(0.2) else None,
    )
    flags = list(FLAG_BITS)
    audience = []
    if maybe(0.3):
        for _ in range(int(rng.integers(1, 3))):
            dimension, value = pick(values["attributes"])
            audience.append(AudienceCondition(dimension, value, pick([0.0, 0.01, 0.03, 0.049, 0.05, 0.1, 0.3])))
    brands = ["Acme", "beta", "ACME", "nobody"]
    return DiscoveryQuery(
        creator=creator,
        min_engagement_rate=pick(values["engagement_rate"]) if maybe(0.15) else None,
        max_engagement_rate=pick(values["engagement_rate"]) if maybe(0.15) else None,
        min_authenticity=pick([0.0, 50.0, 70.0, 85.0]) if maybe(0.2) else None,
        max_fake_follower_share=pick([0.05, 0.1, 0.3]) if maybe(0.15) else None,
        min_score=pick([0.0, 40.0, 50.0, 60.0]) if maybe(0.15) else None,
        with_flags=[pick(flags)] if maybe(0.1) else [],
        without_flags=[pick(flags)] if maybe(0.15) else [],
        audience=audience,
        sort=pick(["", "-"]) + pick(list(SORTABLE)),
        mentions_brand=pick(brands) if maybe(0.15) else None,
        mention_kind=pick(["any", "organic", "sponsored"]),
        mention_within_days=int(pick([1, 30, 90, 365])),
        not_sponsored_by=pick(brands) if maybe(0.1) else None,
        not_sponsored_by_group=pick(brands) if maybe(0.1) else None,
        sponsored_within_days=int(pick([30, 90, 365])),
        has_contact=pick([True, False]) if maybe(0.15) else None,
        min_growth_30d=pick([-0.5, 0.0, 0.1]) if maybe(0.12) else None,
        max_growth_30d=pick([0.0, 0.2, 1.0]) if maybe(0.08) else None,
        min_growth_90d=pick([-0.2, 0.0, 0.3]) if maybe(0.08) else None,
        max_growth_90d=pick([0.0, 0.5]) if maybe(0.08) else None,
    )


def _values(session, workspace_id) -> dict:
    creators = session.execute(select(Creator.platform, Creator.country, Creator.language, Creator.followers)
                               .where(Creator.workspace_id == workspace_id)).all()
    scores = session.scalars(select(CreatorScore.engagement_rate).where(
        CreatorScore.workspace_id == workspace_id, CreatorScore.engagement_rate.is_not(None))).all()
    attributes = session.scalars(select(AudienceShare.attribute).distinct()).all()
    return {
        "platform": sorted({c[0] for c in creators}),
        "country": sorted({c[1] for c in creators if c[1]}),
        "language": sorted({c[2] for c in creators if c[2]}),
        "category": sorted(set(session.scalars(select(CreatorCategory.category).distinct()))),
        "followers": sorted({c[3] for c in creators})[::5],
        "engagement_rate": sorted(scores)[::6],
        "attributes": [attribute_of(a) for a in sorted(attributes)],
    }


def _ids(page) -> tuple[list[int], int]:
    return [creator.id for creator, _score in page.rows], page.total


def test_the_index_answers_every_filter_and_sort_as_sql_does(edge_db):
    db, workspace_id, facts = edge_db
    rng = np.random.default_rng(22)
    with db.transaction(write=False) as session:
        index = discovery_index.build(session, workspace_id)
        values = _values(session, workspace_id)
        assert index.size == len(facts["ids"]) - 5  # unscored creators are not found
        other = set(session.scalars(select(Creator.id).where(Creator.workspace_id == facts["other_id"])))
        nonempty = 0
        for _ in range(400):
            query = _random_query(rng, values)
            offset, limit = int(rng.choice([0, 0, 3, 20])), int(rng.choice([1, 5, 20, 100]))
            expected = _ids(sql_search_page(session, workspace_id, query, offset=offset, limit=limit))
            indexed = indexed_search_page(session, workspace_id, index, query, offset=offset, limit=limit)
            got = _ids(indexed)
            assert got == expected, query
            assert indexed.growth == growth_for(session, got[0])
            assert not other & set(got[0])
            nonempty += expected[1] > 0
        assert nonempty > 120  # a good share of the queries find something
        # Every creator's growth as the database's rows give it (zero starts, one snapshot, none).
        everyone = np.arange(index.size)
        assert index.growth(everyone, TODAY) == list(growth_for(session, index.page_ids(everyone)).values())
        # Every sort over everything, whole pages: ties and NULLs placed as the database places them.
        for sort in SORTABLE:
            for direction in ("", "-"):
                query = DiscoveryQuery(sort=direction + sort)
                assert (_ids(indexed_search_page(session, workspace_id, index, query, offset=0, limit=100))
                        == _ids(sql_search_page(session, workspace_id, query, offset=0, limit=100))), query


@pytest.fixture
def indexed(monkeypatch):
    """Indexes built in the searching thread, whatever the workspace's size."""
    monkeypatch.setattr(discovery_index, "_min_creators", lambda database: 0)
    monkeypatch.setattr(discovery_index, "BUILD_IN_BACKGROUND", False)


def _search(db, workspace_id, query):
    with db.transaction(write=False) as session:
        used = discovery_index.usable_index(session, workspace_id)
    with db.transaction(write=False) as session:
        return (_ids(search_page(session, workspace_id, query, offset=0, limit=100)),
                _ids(sql_search_page(session, workspace_id, query, offset=0, limit=100)), used)


#: Another process: runs each statement it reads (a JSON line: the database's URL and Python using
#: ``session``) in a transaction of its own on that database, closes its connections and answers "ok"
#: or the error.
WRITER = """
import datetime as dt
import json
import sys
import traceback
from sqlalchemy import *
from influencers.db import Database
from influencers.models import *

for line in sys.stdin:
    url, statement = json.loads(line)
    db = Database(url)
    try:
        with db.transaction() as session:
            exec(statement, {**globals(), "session": session})
        answer = "ok"
    except Exception:
        answer = traceback.format_exc()
    finally:
        db.dispose()
    print(json.dumps(answer), flush=True)
"""


@pytest.fixture(scope="module")
def write_elsewhere():
    """``(db, statement)``: runs ``statement`` in another process, as another server or worker would.
    The process is started once per module and test process, not once per write."""
    with subprocess.Popen([sys.executable, "-c", WRITER], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                          text=True) as writer:  # on leaving: its input closed (it ends), then waited for

        def write(db, statement: str) -> None:
            writer.stdin.write(json.dumps([db.url, statement]) + "\n")
            writer.stdin.flush()
            answer = writer.stdout.readline()
            assert answer, f"the writer process ended ({writer.poll()})"
            assert json.loads(answer) == "ok", json.loads(answer)

        yield write


WRITES = {
    "creator edit (country)": lambda ids, ws: f"session.execute(update(Creator).where(Creator.id == {ids[0]})"
                                              f".values(country='ZZ'))",
    "creator delete": lambda ids, ws: f"session.execute(delete(Creator).where(Creator.id == {ids[1]}))",
    "category": lambda ids, ws: f"session.add(CreatorCategory(creator_id={ids[2]}, category='zzcat'))",
    "score": lambda ids, ws: f"session.execute(update(CreatorScore).where(CreatorScore.creator_id == {ids[3]})"
                             f".values(score=123.0))",
    "unscored": lambda ids, ws: f"session.execute(update(CreatorScore).where(CreatorScore.creator_id == {ids[4]})"
                                f".values(is_current=False))",
    "audience share": lambda ids, ws: f"session.execute(update(AudienceShare).where(AudienceShare.creator_id == "
                                      f"{ids[5]}).values(share=0.99))",
    "snapshot": lambda ids, ws: f"session.add(FollowerSnapshot(creator_id={ids[6]}, date=dt.date.today(), "
                                f"followers=10**9))",
    "brand rename": lambda ids, ws: f"session.execute(update(Brand).where(Brand.workspace_id == {ws}, "
                                    f"Brand.name == 'Acme').values(name_key='gamma'))",
    "mention delete": lambda ids, ws: f"session.execute(delete(BrandMention).where(BrandMention.workspace_id == "
                                      f"{ws}))",
    "competitor": lambda ids, ws: "session.execute(delete(BrandCompetitor))",
}
# For each write, a search whose answer it changes.
AFTER_WRITE = {
    "creator edit (country)": DiscoveryQuery(creator=CreatorFilters(country="ZZ")),
    "creator delete": DiscoveryQuery(sort="handle"),
    "category": DiscoveryQuery(creator=CreatorFilters(category="zzcat")),
    "score": DiscoveryQuery(min_score=100.0),
    "unscored": DiscoveryQuery(sort="-followers"),
    "audience share": DiscoveryQuery(sort="-score"),
    "snapshot": DiscoveryQuery(min_growth_30d=1000.0),
    "brand rename": DiscoveryQuery(not_sponsored_by_group="acme", sponsored_within_days=365),
    "mention delete": DiscoveryQuery(mentions_brand="acme", mention_within_days=365),
    "competitor": DiscoveryQuery(not_sponsored_by_group="acme", sponsored_within_days=365),
}


@pytest.mark.parametrize("write", list(WRITES))
def test_a_write_from_another_process_is_seen_by_the_next_search(edge_db, indexed, write_elsewhere, write):
    db, workspace_id, facts = edge_db
    query = AFTER_WRITE[write]
    first, reference, used = _search(db, workspace_id, query)
    assert used is not None and first == reference  # served from the index
    if write == "audience share":
        with db.transaction(write=False) as session:
            attribute = session.scalar(select(AudienceShare.attribute).where(
                AudienceShare.creator_id == facts["ids"][5]).order_by(AudienceShare.share))
        query = DiscoveryQuery(audience=[AudienceCondition(*attribute_of(attribute), 0.9)])
        first, _, _ = _search(db, workspace_id, query)
    write_elsewhere(db, WRITES[write](facts["ids"], workspace_id))
    after, reference, used = _search(db, workspace_id, query)
    assert after == reference and after != first
    assert used is not None and used.generation > 0


def test_api_writes_and_a_scoring_run_are_seen_by_the_next_search(scored_api, indexed):
    """Through the app: a creator edit, an import (new creator, snapshots) and a scoring run."""
    def search(params):
        response = scored_api.get(f"/v1/discovery/creators?{params}&page_size=100")
        assert response.status_code == 200, response.json
        return [c["id"] for c in response.json], response.headers["X-Pagination"]

    everyone, _ = search("sort=-followers")
    creator_id = everyone[0]
    before, _ = search("country=zz")
    etag = scored_api.get(f"/v1/creators/{creator_id}").headers["ETag"]
    assert scored_api.patch(f"/v1/creators/{creator_id}", json={"country": "ZZ"},
                            headers={"If-Match": etag}).status_code == 200
    assert search("country=zz")[0] == [creator_id] != before
    handle = scored_api.get(f"/v1/creators/{creator_id}").json["handle"]
    platform = scored_api.get(f"/v1/creators/{creator_id}").json["platform"]
    lines = [{"type": "snapshot", "platform": platform, "handle": handle,
              "date": (TODAY - dt.timedelta(days=d)).isoformat(), "followers": f} for d, f in ((3, 10), (1, 10**6))]
    import json
    response = scored_api.post("/v1/imports", data="\n".join(json.dumps(line) for line in lines).encode(),
                               content_type="application/x-ndjson")
    assert response.status_code == 200, response.json
    assert search("min_growth_30d=1000")[0] == [creator_id]
    started = scored_api.post("/v1/scoring-runs")
    from tests.fixtures.scoring import wait_for
    assert wait_for(scored_api, started.headers["Location"])["status"] == "succeeded"
    assert search("sort=-followers")[0] == everyone


def test_writers_of_one_workspace_do_not_wait_for_each_other(edge_db):
    """PostgreSQL: a long transaction writing creators (an import) does not hold up another writer of
    the same workspace on the generation, and both writes move it."""
    db, workspace_id, facts = edge_db
    if db.is_sqlite:
        pytest.skip("SQLite has one writer at a time anyway")
    with db.transaction(write=False) as session:
        before = discovery_index.read_generation(session, workspace_id)
    long_running = db.session(write=True)
    try:
        long_running.execute(update(Creator).where(Creator.id == facts["ids"][0]).values(followers=1))
        with db.transaction() as session:
            session.execute(text("SET LOCAL lock_timeout = '2s'"))
            session.execute(update(Creator).where(Creator.id == facts["ids"][1]).values(followers=2))
        with db.transaction(write=False) as session:
            between = discovery_index.read_generation(session, workspace_id)
        long_running.commit()
    finally:
        long_running.close()
    with db.transaction(write=False) as session:
        after = discovery_index.read_generation(session, workspace_id)
    assert before < between < after


def test_idle_and_oversized_indexes_are_dropped(edge_db, indexed, monkeypatch):
    db, workspace_id, facts = edge_db
    with db.transaction(write=False) as session:
        index = discovery_index.usable_index(session, workspace_id)
    assert index is not None and index.nbytes > 0
    cache = discovery_index.cache_for(db)
    assert cache.nbytes == index.nbytes
    cache.evict(now=index.last_used + discovery_index.IDLE_SECONDS - 1)
    assert cache.nbytes == index.nbytes
    cache.evict(now=index.last_used + discovery_index.IDLE_SECONDS + 1)
    assert cache.nbytes == 0
    with db.transaction(write=False) as session:
        assert discovery_index.usable_index(session, workspace_id) is not None
    monkeypatch.setattr(discovery_index, "MAX_BYTES", cache.nbytes - 1)
    cache.evict()
    assert cache.nbytes == 0


def test_a_build_that_finishes_while_a_search_looks_is_used_not_started_again(edge_db, indexed, monkeypatch):
    """A search that found no index, while another thread's build of it finishes, uses that index.
    (Under load every build used to be followed by a second, needless one.)"""
    db, workspace_id, _facts = edge_db
    builds = []
    real_build, real_count = discovery_index.build, discovery_index._scored_count
    monkeypatch.setattr(discovery_index, "build", lambda session, w: builds.append(w) or real_build(session, w))

    def count_while_another_build_finishes(session, w):
        # Between the search's look at the slot and its lock: another thread builds and installs.
        slot = discovery_index.cache_for(db).slot(w)
        slot.building = True
        discovery_index._build_into(db, discovery_index.cache_for(db), slot, w)
        return real_count(session, w)

    monkeypatch.setattr(discovery_index, "_scored_count", count_while_another_build_finishes)
    with db.transaction(write=False) as session:
        index = discovery_index.usable_index(session, workspace_id)
    assert builds == [workspace_id]
    assert index is discovery_index.cache_for(db).slot(workspace_id).index is not None


def test_pages_walked_one_position_at_a_time_are_the_same(edge_db, monkeypatch):
    """The page is taken from the sort's permutation in doubling blocks: from a first block of one
    position (many blocks, a page ending inside one) the pages are the SQL search's."""
    db, workspace_id, _facts = edge_db
    monkeypatch.setattr(discovery_index, "_first_block", lambda wanted, total, size: 1)
    rng = np.random.default_rng(7)
    with db.transaction(write=False) as session:
        index = discovery_index.build(session, workspace_id)
        values = _values(session, workspace_id)
        for _ in range(60):
            query = _random_query(rng, values)
            offset, limit = int(rng.choice([0, 3, 20, 90])), int(rng.choice([1, 7, 100]))
            assert (_ids(indexed_search_page(session, workspace_id, index, query, offset=offset, limit=limit))
                    == _ids(sql_search_page(session, workspace_id, query, offset=offset, limit=limit))), query


def test_a_text_search_finds_rare_and_common_needles_as_sql_does(edge_db, monkeypatch):
    """``q`` is answered from the occurrences in the joined texts, or (a common needle) one test per
    creator: both as the database's LIKE."""
    db, workspace_id, _facts = edge_db
    with db.transaction(write=False) as session:
        index = discovery_index.build(session, workspace_id)
        handles = session.scalars(select(Creator.handle).where(Creator.workspace_id == workspace_id)).all()
        needles = ["a", "e", "_", "zz", handles[0][1:4], handles[5][:4], handles[7][-3:], handles[3].upper(),
                   "nobody-has"]
        for needle in needles:
            query = DiscoveryQuery(creator=CreatorFilters(q=needle), sort="handle")
            expected = _ids(sql_search_page(session, workspace_id, query, offset=0, limit=1000))
            assert _ids(indexed_search_page(session, workspace_id, index, query, offset=0, limit=1000)) == expected
        assert index.page(DiscoveryQuery(creator=CreatorFilters(q="\x00")), offset=0, limit=10, today=TODAY,
                          now=NOW)[1] == 0
        assert index.text_blob.count("a") > max(64, index.size // 8)  # "a" takes the per-creator test
