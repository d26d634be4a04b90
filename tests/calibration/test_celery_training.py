"""Training, comparison and the re-scoring after activation on a real Celery worker process (CI: Redis)."""
import io
import os

import pytest

from influencers.app import create_app
from influencers.config import Settings
from influencers.demo.generator import labels, write_ndjson
from influencers.jobs.models import Job
from tests.fixtures.api import ApiClient, make_workspace
from tests.fixtures.celery_worker import BROKER, celery_worker
from tests.fixtures.database import TEST_SECRET
from tests.fixtures.scoring import CALIBRATION_DEMO as CONFIG
from tests.fixtures.scoring import current_scores, import_lines, label_records, wait_for

pytestmark = pytest.mark.skipif(not BROKER, reason="set INFLUENCERS_TEST_BROKER_URL (CI does) to test a Celery worker")

# A worker starting beside a busy test suite can take a while to import the application.
WORKER_TIMEOUT = 300


def test_training_and_activation_run_in_a_celery_worker_process(database, tmp_path):
    log = tmp_path / "worker.log"

    def tail() -> str:
        return log.read_text()[-3000:]

    with celery_worker(database.url, log) as queue:
        settings = Settings(database_url=database.url, pseudonym_secret=TEST_SECRET, broker_url=BROKER,
                            job_queue=queue)
        app = create_app(settings, database=database)
        ws_id, key = make_workspace(database, "celery-training")
        api = ApiClient(app.test_client(), key, ws_id)
        buffer = io.StringIO()
        write_ndjson(CONFIG, buffer)
        import_lines(api, buffer.getvalue().encode())
        scored = api.post("/v1/scoring-runs")
        assert wait_for(api, scored.headers["Location"], WORKER_TIMEOUT)["status"] == "succeeded", tail()
        import_lines(api, label_records(labels(CONFIG)))
        before = current_scores(database, ws_id)

        started = api.post("/v1/scoring-models/trainings", json={"kind": "logistic"})
        assert started.status_code == 202, started.json
        job = wait_for(api, started.headers["Location"], WORKER_TIMEOUT)
        assert job["status"] == "succeeded", (job, tail())
        result = job["result"]
        assert result["version"] == "trained-1" and result["kind"] == "logistic"
        assert result["comparison"]["candidate"]["metrics"]["roc_auc"] is not None

        etag = api.get("/v1/scoring-models/active").headers["ETag"]
        activated = api.put("/v1/scoring-models/active", json={"model_id": result["model_id"]},
                            headers={"If-Match": etag})
        assert activated.status_code == 202, activated.json
        run = wait_for(api, activated.headers["Location"], WORKER_TIMEOUT)
        assert run["status"] == "succeeded", (run, tail())

    assert current_scores(database, ws_id) != before
    assert api.get(f"/v1/creators/{next(iter(before))}/score").json["summary"]["model_version"] == "trained-1"
    with database.session() as session:
        jobs = session.query(Job).filter(Job.workspace_id == ws_id, Job.kind == "train").all()
        assert [j.status for j in jobs] == ["succeeded"]
        # The worker process trained, not this one's thread pool.
        assert jobs[0].worker and not jobs[0].worker.endswith(f":{os.getpid()}")
