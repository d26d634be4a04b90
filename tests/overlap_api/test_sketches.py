"""Stored audience sketches: built by scoring runs, answering method=sketch overlap reports (see conftest)."""
import pickletools
import time

import pytest
from sqlalchemy import func, select

from influencers.creators.models import AudienceSample, AudienceSampleMember, Creator
from influencers.jobs.models import Job
from influencers.overlap.sketch import MAGIC, VERSION, AudienceSketch
from influencers.scoring.store import AudienceSketchRecord
from influencers.shortlists.sketches import build_sketches
from tests.fixtures.records import creator_ids, import_records, member
from tests.fixtures.scoring import run_scoring as start_and_wait


def run_scoring(api, database):
    """A scoring run, waited for until its job ends (the run says succeeded once its scores are written;
    the sketches are built after that, within the same job)."""
    run = start_and_wait(api)
    deadline = time.time() + 60
    while time.time() < deadline:
        with database.session() as session:
            if session.get(Job, run["job_id"]).status in ("succeeded", "failed"):
                break
        time.sleep(0.05)
    run = api.get(f"/v1/scoring-runs/{run['id']}").json
    assert run["status"] == "succeeded", run
    return run


def sketch_rows(database):
    with database.transaction(write=False) as session:
        return {r.creator_id: (r.sample_id, r.sampled_at.isoformat(), r.lg_k, r.seed, r.sketch_format_version,
                               r.member_count, bytes(r.sketch), r.created_at)
                for r in session.scalars(select(AudienceSketchRecord))}


def test_a_scoring_run_stores_sketches_with_their_parameters(api, database, tiny):
    assert sketch_rows(database) == {}
    run = run_scoring(api, database)
    assert "sketch_seconds" in run["timings"]
    rows = sketch_rows(database)
    # Every creator with a sample (t included); the counted members exclude a's bot m8.
    assert set(rows) == {tiny[h] for h in "abct"}
    assert {h: rows[tiny[h]][5] for h in "abct"} == {"a": 4, "b": 4, "c": 2, "t": 1}
    for _sample_id, sampled_at, lg_k, seed, version, _count, blob, _created in rows.values():
        assert (sampled_at, lg_k, seed, version) == ("2026-10-15", 12, 9001, VERSION)
        # The bytes carry the parameters, round-trip, and are not a pickle.
        assert blob.startswith(MAGIC) and not blob.startswith(b"\x80")
        with pytest.raises(ValueError):
            list(pickletools.genops(blob))
        sketch = AudienceSketch.from_bytes(blob)
        assert (sketch.lg_k, sketch.seed) == (lg_k, seed)
        assert sketch.to_bytes() == blob
    assert AudienceSketch.from_bytes(rows[tiny["a"]][6]).estimate().estimate == 4
    # A second run with nothing changed keeps the rows.
    run_scoring(api, database)
    assert sketch_rows(database) == rows


def test_sketch_report_matches_the_exact_report(api, database, tiny):
    ids = [tiny["a"], tiny["b"], tiny["c"]]
    run_scoring(api, database)
    exact = api.post("/v1/overlap-reports", json={"creator_ids": ids}).json
    response = api.post("/v1/overlap-reports", json={"creator_ids": ids, "method": "sketch"})
    assert response.status_code == 200, response.json
    report = response.json
    assert exact["estimation"] == "exact" and report["estimation"] == "sketch"
    sk = report["sketch"]
    assert (sk["lg_k"], sk["seed"], sk["num_std_devs"]) == (12, 9001, 2)
    assert sk["relative_standard_error"] == pytest.approx(1 / 64) and sk["exact"] is True
    assert "creators" not in report and "pairwise" not in report
    assert all(label.startswith("sketch.") for label in report["labels"]["estimated"])

    def within(estimate, value):
        assert estimate["lower"] <= value <= estimate["upper"]
        assert estimate["estimate"] == pytest.approx(value)  # small sets: theta sketches are exact

    pw = sk["pairwise"]
    assert pw["creator_ids"] == ids
    for i in range(3):
        for j in range(3):
            value = exact["pairwise"]["shared"][i][j]
            assert pw["shared_lower"][i][j] <= value <= pw["shared_upper"][i][j]
            assert pw["shared"][i][j] == pytest.approx(value)
            assert pw["jaccard"][i][j] == pytest.approx(exact["pairwise"]["jaccard"][i][j])
            assert pw["containment"][i][j] == pytest.approx(exact["pairwise"]["containment"][i][j])
    for row, exact_row in zip(sk["creators"], exact["creators"]):
        assert row["creator_id"] == exact_row["creator_id"] and row["fake_share_source"] == "score"
        assert row["counted_sample_size"] == exact_row["counted_sample_size"]
        within(row["counted_members"], exact_row["counted_sample_size"])
        within(row["unique_members"], exact_row["unique_members"])
        assert row["unique_share"] == pytest.approx(exact_row["unique_share"])
        assert row["fake_share"] == pytest.approx(exact_row["fake_share"])
        assert row["member_weight"] == pytest.approx(exact_row["member_weight"])
        within(row["exclusive_reach"], exact_row["exclusive_reach"])
    within(sk["set"]["distinct_counted_members"], exact["set"]["distinct_sampled_members"])
    within(sk["set"]["unique_reach"], exact["set"]["authentic"]["unique_reach"])
    assert sk["set"]["total_audience"] == pytest.approx(exact["set"]["authentic"]["total_audience"])

    # The shortlist endpoint answers the same way.
    shortlist = api.post("/v1/shortlists", json={"name": "s", "creator_ids": ids}).json
    via_shortlist = api.get(f"/v1/shortlists/{shortlist['id']}/overlap?method=sketch")
    assert via_shortlist.status_code == 200, via_shortlist.json
    assert via_shortlist.json["sketch"]["pairwise"] == pw and via_shortlist.json["shortlist_id"] == shortlist["id"]


def test_sketch_report_needs_stored_sketches(api, database, tiny):
    ids = [tiny["a"], tiny["b"]]
    response = api.post("/v1/overlap-reports", json={"creator_ids": ids, "method": "sketch"})
    assert response.status_code == 409
    assert "scoring run" in response.json["message"]
    assert api.post("/v1/overlap-reports", json={"creator_ids": ids, "method": "sketch",
                                                 "target": {"country": ["FR"]}}).status_code == 422
    assert api.post("/v1/overlap-reports", json={"creator_ids": ids, "method": "nope"}).status_code == 422


def test_sketches_of_different_seeds_are_not_combined(api, database, tiny):
    run_scoring(api, database)
    with database.transaction() as session:
        build_sketches(session, api.workspace_id, [tiny["b"]], seed=42)
    assert sketch_rows(database)[tiny["b"]][3] == 42
    response = api.post("/v1/overlap-reports", json={"creator_ids": [tiny["a"], tiny["b"]], "method": "sketch"})
    assert response.status_code == 409 and "seed" in response.json["message"]


def test_a_sketch_of_an_older_format_is_rebuilt_not_read(api, database, tiny):
    """Format 1 keyed members by their key strings: its sketches do not combine with format 2's."""
    ids = [tiny["a"], tiny["b"]]
    run_scoring(api, database)
    current = sketch_rows(database)
    with database.transaction() as session:
        session.execute(AudienceSketchRecord.__table__.update()
                        .where(AudienceSketchRecord.creator_id == tiny["b"]).values(sketch_format_version=1))
    response = api.post("/v1/overlap-reports", json={"creator_ids": ids, "method": "sketch"})
    assert response.status_code == 409 and "scoring run" in response.json["message"]
    run_scoring(api, database)
    rows = sketch_rows(database)
    assert rows[tiny["b"]][4] == VERSION and rows[tiny["b"]][6] == current[tiny["b"]][6]
    assert rows[tiny["a"]][7] == current[tiny["a"]][7]  # the others are left as they were
    assert api.post("/v1/overlap-reports", json={"creator_ids": ids, "method": "sketch"}).status_code == 200


def test_a_new_sample_rebuilds_the_sketch(api, database, tiny):
    run_scoring(api, database)
    before = sketch_rows(database)[tiny["c"]]
    # A newer sample of c: its sketch is stale (409) until the next scoring run rebuilds it.
    import_records(api, [{"type": "audience", "platform": "instagram", "handle": "c", "sampled_at": "2026-11-01",
                          "members": [member(m) for m in ("m1", "m6", "m7")]}])
    ids = [tiny["a"], tiny["c"]]
    assert api.post("/v1/overlap-reports", json={"creator_ids": ids, "method": "sketch"}).status_code == 409
    run_scoring(api, database)
    rows = sketch_rows(database)
    after = rows[tiny["c"]]
    assert after[0] != before[0] and after[1] == "2026-11-01" and after[5] == 3 and after[6] != before[6]
    assert rows[tiny["a"]][7] is not None
    report = api.post("/v1/overlap-reports", json={"creator_ids": ids, "method": "sketch"}).json
    assert report["sketch"]["pairwise"]["shared"][0][1] == pytest.approx(1)  # m1


def test_a_scoring_run_writes_the_bytes_build_sketches_writes(api, database, tiny):
    """A run sketches from its loaded inputs (``audience_pass.sketch_batch``); the rows must be
    exactly what the overlap loader path (``build_sketches``) writes on the same data: demo creators
    on several platforms with bot-like members, the tiny set, and a creator with an empty sample."""
    from tests.fixtures.scoring import import_demo

    import_demo(api, creators=40, seed=5)
    import_records(api, [{"type": "creator", "platform": "instagram", "handle": "e", "followers": 10,
                          "following": 10, "posts_count": 1},
                         {"type": "audience", "platform": "instagram", "handle": "e", "sampled_at": "2026-10-15",
                          "members": []}])
    run_scoring(api, database)

    def comparable(rows):
        return {cid: row[:7] for cid, row in rows.items()}  # everything but created_at

    by_run = comparable(sketch_rows(database))
    with database.transaction() as session:
        session.execute(AudienceSketchRecord.__table__.delete())
        counts = build_sketches(session, api.workspace_id)
    by_loader = comparable(sketch_rows(database))
    assert counts["sketched"] == len(by_loader) > 40 and counts["written"] == len(by_loader)
    assert by_run == by_loader
    with database.transaction(write=False) as session:
        platforms = set(session.scalars(select(Creator.platform).where(Creator.id.in_(list(by_run)))))
        sizes = dict(session.execute(select(AudienceSample.id, func.count(AudienceSampleMember.member_id))
                                     .outerjoin(AudienceSampleMember).group_by(AudienceSample.id)).all())
    assert len(platforms) > 1
    # Some members are not counted (bot-like), and the empty sample has an (empty) sketch.
    assert sum(sizes[row[0]] - row[5] for row in by_run.values()) > 0
    assert by_run[creator_ids(api)["e"]][5] == 0
