"""Overlapping scoring runs of one workspace: the newest run's scores are current, once per creator."""
import io

import pytest
from sqlalchemy import func, select

from influencers.demo.generator import DemoConfig, write_ndjson
from influencers.imports.importer import run_import
from influencers.scoring.runs import create_run, execute_run
from influencers.scoring.store import AudienceShare, CreatorScore, ScoringRun
from tests.fixtures.database import TEST_SECRET
from tests.fixtures.helpers import run_concurrently


@pytest.fixture
def demo_workspace(database, workspace_id):
    text_out = io.StringIO()
    write_ndjson(DemoConfig(creators=40, seed=9), text_out)
    report = run_import(database, workspace_id, text_out.getvalue().encode().splitlines(), secret=TEST_SECRET)
    assert report.rejected_count == 0
    return workspace_id


def current_scores(database, workspace_id):
    with database.transaction(write=False) as session:
        return session.execute(select(CreatorScore.creator_id, CreatorScore.run_id).where(
            CreatorScore.workspace_id == workspace_id, CreatorScore.is_current.is_(True))).all()


def test_an_older_run_finishing_last_is_kept_as_history(database, demo_workspace):
    older, newer = create_run(database, demo_workspace), create_run(database, demo_workspace)
    execute_run(database, demo_workspace, newer)
    with database.transaction(write=False) as session:
        shares_before = session.scalar(select(func.count()).select_from(AudienceShare))
    result = execute_run(database, demo_workspace, older)
    assert result["superseded"] is True
    rows = current_scores(database, demo_workspace)
    assert len(rows) == 40 and {run for _, run in rows} == {newer}
    with database.transaction(write=False) as session:
        history = session.scalar(select(func.count()).where(CreatorScore.run_id == older,
                                                            CreatorScore.is_current.is_(False)))
        assert history == 40
        assert session.get(ScoringRun, older).status == "succeeded" and session.get(ScoringRun, older).superseded
        assert not session.get(ScoringRun, newer).superseded
        assert session.scalar(select(func.count()).select_from(AudienceShare)) == shares_before


def test_concurrent_runs_leave_one_current_score_per_creator(database, demo_workspace):
    run_ids = [create_run(database, demo_workspace) for _ in range(3)]
    run_concurrently(3, lambda i: execute_run(database, demo_workspace, run_ids[i]))
    rows = current_scores(database, demo_workspace)
    assert len(rows) == len({creator for creator, _ in rows}) == 40
    assert {run for _, run in rows} == {max(run_ids)}
    with database.transaction(write=False) as session:
        statuses = session.scalars(select(ScoringRun.status).where(ScoringRun.id.in_(run_ids))).all()
    assert statuses == ["succeeded"] * 3


@pytest.mark.parametrize("chunk_size", [None, 15], ids=["whole", "chunked"])
def test_a_run_reads_succeeded_only_with_its_progress_complete(database, demo_workspace, chunk_size):
    # The run marks its job succeeded in the transaction that commits its work, before the
    # runner records the outcome: a poller must never see "succeeded" at 70%.
    from influencers.jobs.models import Job

    run_id = create_run(database, demo_workspace)
    execute_run(database, demo_workspace, run_id, lambda _fraction: None, chunk_size=chunk_size)
    with database.transaction(write=False) as session:
        job = session.scalar(select(Job).join(ScoringRun, ScoringRun.job_id == Job.id).where(ScoringRun.id == run_id))
        assert (job.status, job.progress) == ("succeeded", 1.0)
