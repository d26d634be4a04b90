"""Background jobs: the in-process runner, and Celery on Redis when a broker is configured."""
import os

import pytest

from influencers.config import Settings
from influencers.jobs import runner
from tests.fixtures.helpers import wait_for_job
from tests.jobs import job_kinds  # noqa: F401  (registers test.add and test.fail)


def test_in_process_runner_records_result_and_failure(database, workspace_id):
    settings = Settings(database_url=database.url, pseudonym_secret=b"x")
    ok = wait_for_job(database, runner.submit(database, settings, workspace_id, "test.add", {"a": 2, "b": 3}))
    assert ok.status == "succeeded" and ok.result == {"sum": 5} and ok.progress == 1.0
    assert ok.started_at <= ok.finished_at
    failed = wait_for_job(database, runner.submit(database, settings, workspace_id, "test.fail", {}))
    assert failed.status == "failed"
    assert "bad input for this job" in failed.error


BROKER = os.environ.get("INFLUENCERS_TEST_BROKER_URL")


@pytest.mark.skipif(not BROKER, reason="set INFLUENCERS_TEST_BROKER_URL (CI does) to test Celery on Redis")
def test_celery_worker_on_redis_runs_the_job(database, workspace_id, monkeypatch):
    from celery.contrib.testing.worker import start_worker

    from influencers.jobs import celery_app

    monkeypatch.setenv("INFLUENCERS_DATABASE_URL", database.url)
    monkeypatch.setenv("INFLUENCERS_PSEUDONYM_SECRET", "celery-test")
    celery_app.app.conf.broker_url = BROKER
    settings = Settings(database_url=database.url, pseudonym_secret=b"x", broker_url=BROKER)
    with start_worker(celery_app.app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        job_id = runner.submit(database, settings, workspace_id, "test.add", {"a": 40, "b": 2})
        job = wait_for_job(database, job_id)
    assert job.status == "succeeded" and job.result == {"sum": 42}
