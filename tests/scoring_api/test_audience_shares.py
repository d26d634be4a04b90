"""Re-runs write only the audience shares that changed, and end in the same state as a full rewrite."""
import datetime as dt

import numpy as np
from sqlalchemy import delete, func, inspect, select, text, update

from influencers.creators.models import AudienceMember, AudienceSample, AudienceSampleMember, Creator
from influencers.discovery import AudienceCondition, audience_condition
from influencers.scoring import writes
from influencers.scoring.audience_pass import _count_keys, audience_shares
from influencers.scoring.loader import load_inputs
from influencers.scoring.store import LOOKUP_MIN_SHARE, AudienceShareDigest
from influencers.scoring.writes import write_audience_shares
from tests.fixtures.api import all_pages
from tests.fixtures.records import import_records, member
from tests.fixtures.scoring import import_demo, run_scoring, wait_for
from tests.fixtures.scoring import stored_audience_shares as stored


def recomputed(database, workspace_id):
    """What a full rewrite would store: the shares of the current inputs."""
    with database.transaction(write=False) as session:
        frame = audience_shares(load_inputs(session, workspace_id)).frame()
    return set(zip(frame["creator_id"].tolist(), frame["dimension"].tolist(), map(str, frame["value"]),
                   frame["share"].tolist(), frame["sample_size"].tolist()))


def test_a_rerun_replaces_only_the_creators_whose_audience_changed(api, database):
    import_demo(api, creators=30, seed=4)
    run_scoring(api)
    first = stored(database)
    assert first == recomputed(database, api.workspace_id) and len(first) > 100

    with database.transaction(write=False) as session:
        sampled = session.execute(select(Creator.id, Creator.platform, Creator.handle, AudienceSample.sampled_at)
                                  .join(AudienceSample, AudienceSample.creator_id == Creator.id)
                                  .order_by(Creator.id, AudienceSample.sampled_at)).all()
    latest = {cid: (platform, handle, sampled_at) for cid, platform, handle, sampled_at in sampled}
    (changed, (platform, handle, sampled_at)), (lost, _) = list(latest.items())[:2]
    # A newer sample of one creator (three French members), and another creator loses its samples.
    import_records(api, [{"type": "audience", "platform": platform, "handle": handle,
                          "sampled_at": (sampled_at + dt.timedelta(days=1)).isoformat(),
                          "members": [member(m) for m in ("m1", "m2", "m4")]}])
    with database.transaction() as session:
        samples = select(AudienceSample.id).where(AudienceSample.creator_id == lost)
        session.execute(delete(AudienceSampleMember).where(AudienceSampleMember.sample_id.in_(samples)))
        session.execute(delete(AudienceSample).where(AudienceSample.creator_id == lost))

    run_scoring(api)
    second = stored(database)
    assert second == recomputed(database, api.workspace_id)
    assert not any(row[0] == lost for row in second)
    assert {row[1:] for row in second if row[0] == changed and row[1] == "country"} == {("country", "FR", 1.0, 3)}
    untouched = {row for row in first if row[0] not in (changed, lost)}
    assert {row for row in second if row[0] not in (changed, lost)} == untouched

    # Nothing changed since: nothing is rewritten.
    with database.transaction() as session:
        inputs = load_inputs(session, api.workspace_id)
        assert write_audience_shares(session, api.workspace_id, audience_shares(inputs)) == 0
    assert stored(database) == second


def test_key_counting_agrees_with_unique_on_both_paths():
    rng = np.random.default_rng(3)
    for keys, key_range in ((rng.integers(0, 500, 5000), 500),           # dense: one bincount
                            (rng.integers(0, 10**9, 5000), 10**9),       # sparse: the sort
                            (np.zeros(0, dtype=np.int64), 10)):
        present, counts = _count_keys(keys, key_range)
        expected_keys, expected_counts = np.unique(keys, return_counts=True)
        assert present.tolist() == expected_keys.tolist() and counts.tolist() == expected_counts.tolist()


def test_a_bulk_first_run_rebuilds_the_lookup_index_in_its_transaction(api, database, monkeypatch):
    """On SQLite a first run drops discovery's share index for its bulk insert and rebuilds it
    (here from one row up): the index is there after the run, and the rows are all stored."""
    monkeypatch.setattr(writes, "_REBUILD_MIN_ROWS", 1)
    import_demo(api, creators=12, seed=8)
    run_scoring(api)
    assert stored(database) == recomputed(database, api.workspace_id)
    with database.transaction(write=False) as session:
        indexes = {index["name"] for index in inspect(session.connection()).get_indexes("audience_shares")}
    assert "ix_audience_shares_lookup" in indexes
    # Discovery's audience filter answers from it: exactly the creators with that share.
    rows = stored(database)
    country, top_share = max(((value, share) for _c, dimension, value, share, _n in rows if dimension == "country"),
                             key=lambda pair: pair[1])
    threshold = round(top_share / 2, 3)
    expected = {c for c, dimension, value, share, _n in rows if dimension == "country" and value == country
                and share >= threshold}
    found = all_pages(api, f"/v1/discovery/creators?audience=country:{country}:{threshold}")
    assert {row["id"] for row in found} == expected and expected


def test_deleting_a_creator_deletes_its_audience_shares(api, database):
    """audience_shares has no foreign key (see AudienceShare): deleting a creator deletes its rows."""
    import_demo(api, creators=8, seed=5)
    run_scoring(api)
    gone = min(row[0] for row in stored(database))
    url = f"/v1/creators/{gone}"
    assert api.delete(url, headers={"If-Match": api.get(url).headers["ETag"]}).status_code == 204
    remaining = stored(database)
    assert remaining and not any(row[0] == gone for row in remaining)
    with database.transaction(write=False) as session:
        assert session.scalar(select(func.count()).select_from(AudienceShareDigest)
                              .where(AudienceShareDigest.creator_id == gone)) == 0
    # The next run stores what a full rewrite would, and nothing for the deleted creator.
    run_scoring(api)
    assert stored(database) == recomputed(database, api.workspace_id)


def test_a_member_value_that_cannot_be_stored_fails_the_run_with_the_value(api, database):
    """Members come through the import's validation; a row written around it is an error the
    run names, not a share silently left out. Nothing of the failed run is stored."""
    import_demo(api, creators=6, seed=6)
    run_scoring(api)
    before = stored(database)
    with database.transaction() as session:
        member_id = session.scalar(select(AudienceMember.id).where(AudienceMember.country.is_not(None)).limit(1))
        session.execute(update(AudienceMember).where(AudienceMember.id == member_id).values(country="fr"))
    started = api.post("/v1/scoring-runs")
    run = wait_for(api, started.headers["Location"])
    assert run["status"] == "failed" and "'fr'" in run["error"] and "country" in run["error"]
    assert stored(database) == before


def _plan(session, stmt) -> str:
    """The database's plan of ``stmt`` as text (parameters inlined by the dialect)."""
    compiled = stmt.compile(dialect=session.get_bind().dialect, compile_kwargs={"literal_binds": True})
    if session.get_bind().dialect.name == "sqlite":
        return "\n".join(str(row) for row in session.execute(text(f"EXPLAIN QUERY PLAN {compiled}")))
    # On a few rows a sequential scan is cheaper: asked whether the index can serve the filter at all.
    session.execute(text("SET LOCAL enable_seqscan = off"))
    return "\n".join(row[0] for row in session.execute(text(f"EXPLAIN {compiled}")))


def test_audience_filters_from_the_lookup_index_minimum_use_that_partial_index(api, database):
    """The lookup index holds only shares >= LOOKUP_MIN_SHARE: a filter from there up is
    planned on it (SQLite only matches the index's condition written out literally), and one
    below it is not (it would miss rows) and still finds exactly the matching creators."""
    import_demo(api, creators=12, seed=8)
    run_scoring(api)
    rows = stored(database)
    low = [(value, share) for _c, dimension, value, share, _n in rows
           if dimension == "country" and share < LOOKUP_MIN_SHARE]
    assert low, "the demo audiences have countries below the index's minimum share"
    for country, threshold in ((low[0][0], 0.3), (low[0][0], LOOKUP_MIN_SHARE), (low[0][0], low[0][1])):
        condition = AudienceCondition("country", country, threshold)
        with database.transaction(write=False) as session:
            plan = _plan(session, select(Creator.id).where(audience_condition(condition)))
        assert ("ix_audience_shares_lookup" in plan) == (threshold >= LOOKUP_MIN_SHARE), plan
        expected = {c for c, dimension, value, share, _n in rows
                    if dimension == "country" and value == country and share >= threshold}
        found = all_pages(api, f"/v1/discovery/creators?audience=country:{country}:{threshold!r}")
        assert {row["id"] for row in found} == expected, threshold
    assert expected, "the lowest threshold matches that creator at least"
