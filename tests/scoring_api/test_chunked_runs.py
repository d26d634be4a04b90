"""A workspace scored in chunks (a range of creator ids at a time, against the statistics of a
first pass over the whole workspace) stores what a run loading the whole workspace stores:
the same scores, explanations, audience shares and sketches; a failing chunk writes nothing."""
import pytest
from sqlalchemy import delete, select, update

from influencers.scoring import chunked_run
from influencers.scoring.runs import create_run, execute_run
from influencers.scoring.store import (
    AudienceShare,
    AudienceShareDigest,
    AudienceSketchRecord,
    CreatorScore,
    ScoringRun,
)
from tests.fixtures.scoring import import_demo, scores_of_run, stored_sketches
from tests.fixtures.scoring import stored_audience_shares as stored_shares


def run(database, workspace_id, chunk_size):
    run_id = create_run(database, workspace_id)
    return execute_run(database, workspace_id, run_id, worker_min_creators=None, chunk_size=chunk_size)


@pytest.mark.slow
def test_a_chunked_run_stores_what_a_whole_workspace_run_stores(api, database):
    import_demo(api, creators=120, seed=6)
    whole = run(database, api.workspace_id, chunk_size=None)
    assert "chunks" not in whole
    shares, sketches = stored_shares(database), stored_sketches(database)
    expected = scores_of_run(database, whole["run_id"])
    assert len(shares) > 500 and len(sketches) == 120 and len(expected) == 120

    # Remove what the whole run stored: the chunked run must write all of it itself.
    with database.transaction() as session:
        session.execute(update(CreatorScore).values(is_current=False))
        for table in (AudienceShare, AudienceShareDigest, AudienceSketchRecord):
            session.execute(delete(table))

    chunked = run(database, api.workspace_id, chunk_size=17)
    assert chunked["chunks"] == 8 and chunked["creators_scored"] == 120
    assert scores_of_run(database, chunked["run_id"]) == expected
    assert stored_shares(database) == shares
    chunked_sketches = stored_sketches(database)
    assert {cid: row[:4] for cid, row in chunked_sketches.items()} == {cid: row[:4] for cid, row in sketches.items()}
    with database.transaction(write=False) as session:
        current = session.scalars(select(CreatorScore.run_id).where(CreatorScore.is_current)).all()
    assert set(current) == {chunked["run_id"]} and len(current) == 120

    # One chunk, and chunks again after it: nothing to rewrite (digests equal).
    again = run(database, api.workspace_id, chunk_size=119)
    assert again["chunks"] == 2
    assert scores_of_run(database, again["run_id"]) == expected
    assert stored_sketches(database) == chunked_sketches


def test_a_failing_chunk_fails_the_run_and_writes_nothing(api, database, monkeypatch):
    import_demo(api, creators=30, seed=2)
    real = chunked_run.score_chunk

    def failing(*args, **kwargs):
        if args[4] == 2:
            raise RuntimeError("chunk 2 broke")
        return real(*args, **kwargs)

    monkeypatch.setattr(chunked_run, "score_chunk", failing)
    run_id = create_run(database, api.workspace_id)
    with pytest.raises(RuntimeError, match="chunk 2 broke"):
        execute_run(database, api.workspace_id, run_id, worker_min_creators=None, chunk_size=7)
    with database.transaction(write=False) as session:
        failed = session.get(ScoringRun, run_id)
        assert failed.status == "failed" and "chunk 2 broke" in failed.error
        assert session.scalar(select(CreatorScore.id).where(CreatorScore.run_id == run_id)) is None
    assert not stored_shares(database) and not stored_sketches(database)


def test_the_chunk_size_setting(monkeypatch):
    from influencers.config import DEFAULT_SCORING_CHUNK_SIZE, load_settings, scoring_chunk_size

    monkeypatch.delenv("INFLUENCERS_SCORING_CHUNK_SIZE", raising=False)
    assert scoring_chunk_size() == DEFAULT_SCORING_CHUNK_SIZE == 20_000
    monkeypatch.setenv("INFLUENCERS_SCORING_CHUNK_SIZE", "off")
    assert scoring_chunk_size() is None
    monkeypatch.setenv("INFLUENCERS_SCORING_CHUNK_SIZE", "500")
    assert load_settings().scoring_chunk_size == 500
    monkeypatch.setenv("INFLUENCERS_SCORING_CHUNK_SIZE", "0")
    with pytest.raises(ValueError, match="INFLUENCERS_SCORING_CHUNK_SIZE"):
        scoring_chunk_size()
