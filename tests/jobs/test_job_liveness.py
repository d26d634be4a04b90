"""Jobs whose process died are failed (or resumed), never left queued or running forever."""
import dataclasses
import datetime as dt
import threading
import time

import pytest
from sqlalchemy import update

from influencers.config import Settings
from influencers.db import Database, utcnow
from influencers.jobs import broker, reaper, runner
from influencers.jobs.models import Job
from influencers.scoring import runs
from influencers.scoring.store import ScoringRun
from tests.fixtures.helpers import wait_for_job
from tests.jobs import job_kinds  # noqa: F401  (registers test.sleep and test.add)

LONG_AGO = dt.timedelta(minutes=10)


@pytest.fixture
def job_settings(database):
    return Settings(database_url=database.url, pseudonym_secret=b"x", job_heartbeat_seconds=0.2,
                    job_timeout_seconds=1.5, job_queue_timeout_seconds=60, job_max_attempts=2)


def _as_if_claimed(database, job_id, *, heartbeat_age, worker="elsewhere:1", attempts=1):
    with database.transaction() as session:
        session.execute(update(Job).where(Job.id == job_id).values(
            status="running", started_at=utcnow() - heartbeat_age, heartbeat_at=utcnow() - heartbeat_age,
            worker=worker, attempts=attempts))


def _job(database, job_id) -> Job:
    with database.session() as session:
        return session.get(Job, job_id)


def _queued_run(database, workspace_id) -> tuple[int, int]:
    with database.transaction() as session:
        return runs.queue_run(session, workspace_id)


def test_a_running_job_whose_heartbeat_stopped_is_failed_with_its_run(database, workspace_id, job_settings):
    dead_run, dead_job = _queued_run(database, workspace_id)
    _as_if_claimed(database, dead_job, heartbeat_age=LONG_AGO)
    live_run, live_job = _queued_run(database, workspace_id)
    _as_if_claimed(database, live_job, heartbeat_age=dt.timedelta(seconds=0))

    assert reaper.reap(database, job_settings) == [dead_job]

    job = _job(database, dead_job)
    assert job.status == "failed" and job.finished_at is not None
    assert "heartbeat" in job.error and "killed" in job.error
    with database.session() as session:
        run = session.get(ScoringRun, dead_run)
        assert run.status == "failed" and run.error == job.error and run.finished_at is not None
        assert session.get(ScoringRun, live_run).status == "running"  # its job's status: one row holds it
    assert _job(database, live_job).status == "running"


def test_a_queued_job_no_worker_ever_took_is_failed_after_the_queue_timeout(database, workspace_id, job_settings):
    job_id = runner.create_job(database, workspace_id, "test.add", {"a": 1, "b": 1})
    assert reaper.reap(database, job_settings) == []
    with database.transaction() as session:
        session.execute(update(Job).where(Job.id == job_id).values(created_at=utcnow() - dt.timedelta(hours=2)))
    assert reaper.reap(database, job_settings) == [job_id]
    job = _job(database, job_id)
    assert job.status == "failed" and "no worker" in job.error.lower()


def test_a_redelivered_job_whose_worker_died_is_resumed(database, workspace_id, job_settings):
    job_id = runner.create_job(database, workspace_id, "test.add", {"a": 1, "b": 2})
    _as_if_claimed(database, job_id, heartbeat_age=LONG_AGO)
    assert runner.run_job(database, job_settings, job_id) == "succeeded"
    job = _job(database, job_id)
    assert job.status == "succeeded" and job.result == {"sum": 3} and job.attempts == 2


def test_a_redelivered_job_whose_local_worker_process_is_gone_is_resumed_at_once(database, workspace_id,
                                                                                 job_settings):
    import socket
    import subprocess

    gone = subprocess.Popen(["true"])
    gone.wait()
    job_id = runner.create_job(database, workspace_id, "test.add", {"a": 5, "b": 5})
    _as_if_claimed(database, job_id, heartbeat_age=dt.timedelta(0), worker=f"{socket.gethostname()}:{gone.pid}")
    assert runner.run_job(database, job_settings, job_id) == "succeeded"
    assert _job(database, job_id).result == {"sum": 10}


def test_a_redelivered_job_still_running_elsewhere_is_not_run_twice(database, workspace_id, job_settings):
    job_id = runner.create_job(database, workspace_id, "test.add", {"a": 1, "b": 2})
    _as_if_claimed(database, job_id, heartbeat_age=dt.timedelta(0), worker="another-host:1")
    assert runner.run_job(database, job_settings, job_id) == "busy"
    job = _job(database, job_id)
    assert job.status == "running" and job.attempts == 1 and job.result is None


def test_the_celery_task_retries_a_busy_job_later_instead_of_dropping_it(database, workspace_id, job_settings,
                                                                          monkeypatch):
    from celery.exceptions import Retry

    job_id = runner.create_job(database, workspace_id, "test.add", {"a": 1, "b": 2})
    _as_if_claimed(database, job_id, heartbeat_age=dt.timedelta(0), worker="another-host:1")
    monkeypatch.setattr(broker, "_settings", lambda: job_settings)
    monkeypatch.setattr(broker, "_database", lambda url: database)
    with pytest.raises(Retry):
        broker.run_job_task.apply(args=(job_id,), throw=True)


def test_a_job_whose_worker_died_too_often_is_failed_with_the_reason(database, workspace_id, job_settings):
    run_id, job_id = _queued_run(database, workspace_id)
    _as_if_claimed(database, job_id, heartbeat_age=LONG_AGO, attempts=job_settings.job_max_attempts)
    assert runner.run_job(database, job_settings, job_id) == "failed"
    job = _job(database, job_id)
    assert job.status == "failed" and "2 times" in job.error
    with database.session() as session:
        assert session.get(ScoringRun, run_id).status == "failed"


@pytest.mark.slow
def test_heartbeats_keep_long_and_waiting_jobs_alive_while_the_reaper_runs(database, workspace_id, job_settings,
                                                                          monkeypatch):
    # One pool thread: the second job waits in the pool (queued) behind the first, held by this process.
    monkeypatch.setattr(runner, "_executor", None)
    # A 4 s timeout against 0.2 s heartbeats: a busy machine may starve the heartbeat thread for
    # a second or two, which is not a dead process.
    settings = dataclasses.replace(job_settings, job_threads=1, job_timeout_seconds=4)
    # Longer than the timeout, so without heartbeats both jobs would be reaped before it ends.
    long_job = runner.submit(database, settings, workspace_id, "test.sleep",
                             {"seconds": 1.5 * settings.job_timeout_seconds})
    waiting_job = runner.submit(database, settings, workspace_id, "test.add", {"a": 1, "b": 1})
    deadline = time.time() + 5 * settings.job_timeout_seconds
    reaped = []
    while time.time() < deadline and _job(database, waiting_job).status in ("queued", "running"):
        reaped += reaper.reap(database, settings)
        time.sleep(0.1)
    assert reaped == []
    assert wait_for_job(database, long_job).status == "succeeded"
    assert wait_for_job(database, waiting_job).status == "succeeded"
    runner.wait_for_in_process_jobs(timeout=30)
    monkeypatch.setattr(runner, "_executor", None)


def test_a_failure_that_could_not_be_recorded_is_failed_by_the_reaper(database, workspace_id, job_settings,
                                                                       monkeypatch):
    def database_down(*args, **kwargs):
        raise ConnectionError("the database is down")

    monkeypatch.setattr(runner, "_finish", database_down)
    job_id = runner.create_job(database, workspace_id, "test.add", {"a": 1, "b": 2})
    runner.run_job(database, job_settings, job_id)
    assert _job(database, job_id).status == "running"
    time.sleep(job_settings.job_timeout_seconds + 0.2)
    assert reaper.reap(database, job_settings) == [job_id]
    assert _job(database, job_id).status == "failed"


def test_the_reaper_thread_fails_dead_jobs_on_its_own(database, workspace_id, job_settings):
    job_id = runner.create_job(database, workspace_id, "test.add", {"a": 1, "b": 2})
    _as_if_claimed(database, job_id, heartbeat_age=LONG_AGO)
    stop = threading.Event()
    thread = reaper.start_reaper(database, dataclasses.replace(job_settings, job_reaper_seconds=0.1), stop=stop)
    try:
        assert wait_for_job(database, job_id, timeout=10).status == "failed"
    finally:
        stop.set()
        thread.join(5)
    assert not thread.is_alive()


def test_influencers_jobs_reap_fails_dead_jobs_and_says_which(database, workspace_id, monkeypatch):
    from click.testing import CliRunner

    from influencers.cli import main

    job_id = runner.create_job(database, workspace_id, "test.add", {"a": 1, "b": 2})
    _as_if_claimed(database, job_id, heartbeat_age=LONG_AGO)
    monkeypatch.setenv("INFLUENCERS_DATABASE_URL", database.url)
    monkeypatch.setenv("INFLUENCERS_PSEUDONYM_SECRET", "reap-test")
    result = CliRunner().invoke(main, ["jobs", "reap"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert f"failed 1 job(s) whose worker died: {job_id}" in result.output
    assert _job(database, job_id).status == "failed"
    assert "no job" in CliRunner().invoke(main, ["jobs", "reap"]).output


def test_a_job_dispatched_with_a_delay_is_not_failed_before_it_is_due(database, workspace_id, job_settings):
    job_id = runner.create_job(database, workspace_id, "test.add", {"a": 1, "b": 2})
    with database.transaction() as session:
        session.execute(update(Job).where(Job.id == job_id).values(created_at=utcnow() - dt.timedelta(hours=2)))
    runner.dispatch_later(database, job_settings, job_id, delay=3600)
    try:
        assert reaper.reap(database, job_settings) == []
        assert _job(database, job_id).status == "queued"
    finally:
        runner.cancel_delayed_jobs()



def test_a_short_heartbeat_is_neither_held_back_nor_silenced_by_other_jobs(database, workspace_id):
    # One heartbeat thread per process: a job held with a long interval must not delay the beats of a
    # job held later with a short one, and releasing another database's job of the same id (a test's,
    # or a second Database in the process) must not stop this one's beats.
    slow_job = runner.create_job(database, workspace_id, "test.add", {"a": 1, "b": 1})
    job_id = runner.create_job(database, workspace_id, "test.add", {"a": 2, "b": 2})
    same_ids_elsewhere = Database(database.url)
    runner._heartbeats.hold(database, slow_job, 60.0)
    try:
        time.sleep(0.2)  # the heartbeat thread now sleeps for the 60 s interval
        runner._heartbeats.hold(database, job_id, 0.2)
        runner._heartbeats.hold(same_ids_elsewhere, job_id, 60.0)
        runner._heartbeats.release(same_ids_elsewhere, job_id)
        first = _job(database, job_id).heartbeat_at
        # Held back, the next beat would come after the 60 s interval.
        deadline = time.monotonic() + 10
        while _job(database, job_id).heartbeat_at == first and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _job(database, job_id).heartbeat_at > first
    finally:
        runner._heartbeats.release(database, slow_job)
        runner._heartbeats.release(database, job_id)
