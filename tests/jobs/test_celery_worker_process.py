"""Jobs through a real Celery worker process on Redis, started the way the README says."""
import os
import signal
import time

import pytest

from influencers.app import create_app
from influencers.config import Settings
from influencers.jobs import runner
from influencers.jobs.models import Job
from tests.fixtures.api import ApiClient, make_workspace
from tests.fixtures.celery_worker import BROKER, celery_worker
from tests.fixtures.database import TEST_SECRET
from tests.fixtures.helpers import wait_for_job
from tests.fixtures.scoring import import_demo, wait_for

pytestmark = pytest.mark.skipif(not BROKER, reason="set INFLUENCERS_TEST_BROKER_URL (CI does) to test a Celery worker")

# A worker starting beside a busy test suite can take a while to import the application.
WORKER_TIMEOUT = 180


def _job(database, job_id) -> Job:
    with database.session() as session:
        return session.get(Job, job_id)


def test_a_scoring_run_runs_in_a_celery_worker_process(database, tmp_path):
    with celery_worker(database.url, tmp_path / "worker.log") as queue:
        settings = Settings(database_url=database.url, pseudonym_secret=TEST_SECRET, broker_url=BROKER,
                            job_queue=queue)
        app = create_app(settings, database=database)
        ws_id, key = make_workspace(database, "celery")
        api = ApiClient(app.test_client(), key, ws_id)
        import_demo(api, creators=40)
        started = api.post("/v1/scoring-runs")
        assert started.status_code == 202
        run = wait_for(api, started.headers["Location"], timeout=WORKER_TIMEOUT)
    assert run["status"] == "succeeded", (run, (tmp_path / "worker.log").read_text()[-3000:])
    assert run["creators_scored"] == 40
    # The job records its outcome just after the run's own transaction.
    job = wait_for_job(database, run["job_id"])
    assert job.status == "succeeded" and job.attempts == 1 and job.worker and job.progress == 1.0


def test_a_job_whose_worker_process_was_killed_is_resumed_by_the_redelivery(database, workspace_id, tmp_path):
    with celery_worker(database.url, tmp_path / "worker.log") as queue:
        settings = Settings(database_url=database.url, pseudonym_secret=TEST_SECRET, broker_url=BROKER,
                            job_queue=queue)
        job_id = runner.submit(database, settings, workspace_id, "test.sleep", {"seconds": 3})
        deadline = time.time() + WORKER_TIMEOUT
        while time.time() < deadline and _job(database, job_id).status != "running":
            time.sleep(0.1)
        first = _job(database, job_id)
        assert first.status == "running", (tmp_path / "worker.log").read_text()[-3000:]
        os.kill(int(first.worker.rpartition(":")[2]), signal.SIGKILL)
        while time.time() < deadline and _job(database, job_id).status in ("queued", "running"):
            time.sleep(0.1)
    job = _job(database, job_id)
    assert job.status == "succeeded", (job.error, (tmp_path / "worker.log").read_text()[-3000:])
    assert job.attempts == 2 and job.worker != first.worker and job.result == {"slept": 3}
