"""A comparison's status, error and times are its job's: one row holds them, whoever runs it."""
import datetime as dt

import pytest
from sqlalchemy import update

from influencers.calibration import comparison, versions
from influencers.calibration.jobs import create_comparison, run_comparison
from influencers.calibration.models import ModelComparison
from influencers.calibration.training import NotEnoughLabels
from influencers.config import Settings
from influencers.db import utcnow
from influencers.jobs import reaper
from influencers.jobs.models import Job


def _comparison_without_labels(database, workspace_id) -> int:
    """A comparison made the way the CLI and a training job make one (never dispatched)."""
    with database.transaction() as session:
        active = versions.active_version(session, workspace_id).id
    return create_comparison(database, workspace_id, active, active)


def _read(database, workspace_id, comparison_id):
    with database.session() as session:
        row = comparison.get_comparison(session, workspace_id, comparison_id)
        job = session.get(Job, row.job_id) if row.job_id is not None else None
        return ((row.status, row.error, row.created_at),
                None if job is None else (job.kind, job.status, job.error, job.created_at))


def test_a_comparison_made_outside_a_dispatched_job_has_a_job_holding_its_status(database, workspace_id):
    comparison_id = _comparison_without_labels(database, workspace_id)
    seen, job = _read(database, workspace_id, comparison_id)
    assert job is not None, "the comparison has no job"
    assert job == ("compare", *seen)
    assert seen[0] == "queued"

    with pytest.raises(NotEnoughLabels):
        run_comparison(database, workspace_id, comparison_id)
    seen, job = _read(database, workspace_id, comparison_id)
    assert seen[0] == "failed" and seen[1].startswith("NotEnoughLabels: ")
    assert job == ("compare", *seen)
    with database.session() as session:
        assert session.get(Job, session.get(ModelComparison, comparison_id).job_id).finished_at


def test_a_comparison_whose_worker_died_reads_the_reapers_failure(database, workspace_id):
    comparison_id = _comparison_without_labels(database, workspace_id)
    with database.session() as session:
        job_id = session.get(ModelComparison, comparison_id).job_id
    assert job_id is not None, "the comparison has no job"
    long_ago = utcnow() - dt.timedelta(minutes=10)
    with database.transaction() as session:
        session.execute(update(Job).where(Job.id == job_id).values(
            status="running", started_at=long_ago, heartbeat_at=long_ago, worker="elsewhere:1", attempts=1))
    settings = Settings(database_url=database.url, pseudonym_secret=b"x", job_timeout_seconds=1.5,
                        job_max_attempts=1)
    assert reaper.reap(database, settings) == [job_id]
    (status, error, _created), _job = _read(database, workspace_id, comparison_id)
    assert status == "failed" and "heartbeat" in error
