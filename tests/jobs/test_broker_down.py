"""A broker URL is configured but nothing answers there: a scoring run still runs (in the process
that started it, with a warning), over the API and from the CLI; it never answers 500 and never
leaves a job queued for the reaper's queue timeout."""
import logging
import uuid

import pytest
import redis
from sqlalchemy import select

from influencers.app import create_app
from influencers.config import Settings
from influencers.jobs import runner
from influencers.jobs.models import Job
from influencers.scoring.store import ScoringRun
from influencers.webhooks.models import WebhookDelivery
from influencers.webhooks.service import create_endpoint
from influencers.webhooks.transport import AddressPolicy
from influencers.workspaces.models import Workspace
from tests.fixtures.api import ApiClient
from tests.fixtures.celery_worker import BROKER
from tests.fixtures.cli import SAMPLE, invoke
from tests.fixtures.database import TEST_SECRET
from tests.fixtures.helpers import wait_for_job
from tests.fixtures.scoring import import_demo, wait_for
from tests.jobs import job_kinds  # noqa: F401  (registers test.add)

# Nothing listens on port 1: connecting is refused at once (no connect timeout to wait out).
UNREACHABLE = "redis://127.0.0.1:1/0"


def test_a_scoring_run_started_over_the_api_runs_in_process_when_the_broker_is_down(
        api, database, tmp_path, caplog):
    import_demo(api, creators=12, seed=1)
    settings = Settings(database_url=database.url, pseudonym_secret=TEST_SECRET, broker_url=UNREACHABLE,
                        upload_dir=str(tmp_path / "uploads"), scoring_chunk_size=5)
    client = ApiClient(create_app(settings, database=database).test_client(), api.key, api.workspace_id)
    with caplog.at_level(logging.WARNING, logger="influencers.jobs.runner"):
        started = client.post("/v1/scoring-runs")
        assert started.status_code == 202, started.json
        run = wait_for(client, started.headers["Location"], timeout=60)
    assert run["status"] == "succeeded", run
    assert run["creators_scored"] == 12
    assert any("broker could not be reached" in r.getMessage() and "in this process" in r.getMessage()
               for r in caplog.records)
    with database.transaction(write=False) as session:
        unfinished = session.scalars(select(Job.id).where(Job.status.in_(runner.UNFINISHED))).all()
    assert unfinished == []


def test_the_cli_scores_and_sends_its_webhook_when_the_broker_is_down(cli_env, database, monkeypatch):
    """The CLI scores in its own process; the run's webhook delivery it queues is not left queued."""
    for name, value in {"INFLUENCERS_BROKER_URL": UNREACHABLE, "INFLUENCERS_WEBHOOK_ALLOW_HTTP": "1",
                        "INFLUENCERS_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8",
                        "INFLUENCERS_WEBHOOK_MAX_ATTEMPTS": "1"}.items():
        monkeypatch.setenv(name, value)
    invoke(cli_env, "workspace", "create", "cli")
    invoke(cli_env, "import", "--workspace", "cli", str(SAMPLE))
    with database.transaction() as session:
        workspace_id = session.scalar(select(Workspace.id).where(Workspace.name == "cli"))
        # Nothing listens there either: the delivery fails at once, and is not retried (one attempt).
        create_endpoint(session, workspace_id, {"url": "http://127.0.0.1:1/hook", "events": ["scoring_run.succeeded"]},
                        None, policy=AddressPolicy(allow_http=True, allowed_networks=("127.0.0.0/8",)), key=b"k" * 32)
    assert "2 creators scored" in invoke(cli_env, "score", "--workspace", "cli", "--chunk-size", "1")
    assert runner.wait_for_in_process_jobs(timeout=30)
    with database.transaction(write=False) as session:
        assert session.scalars(select(Job.status).join(ScoringRun, ScoringRun.job_id == Job.id)).all() == [
            "succeeded"]
        assert session.scalars(select(Job.kind).where(Job.status.in_(runner.UNFINISHED))).all() == []
        assert session.scalar(select(WebhookDelivery.status)) == "failed"


def test_each_send_goes_to_its_settings_broker(database, workspace_id):
    """A process that sent to one broker sends the next job to the broker its settings name (the
    Celery app's own producer pool keeps the first URL it was used with)."""
    if not BROKER:
        pytest.skip("set INFLUENCERS_TEST_BROKER_URL (CI does) to send to a real broker first")
    queue = f"test-unconsumed-{uuid.uuid4().hex[:12]}"
    reachable = Settings(database_url=database.url, pseudonym_secret=TEST_SECRET, broker_url=BROKER,
                         job_queue=queue)
    try:
        sent = runner.create_job(database, workspace_id, "test.add", {"a": 1, "b": 2})
        runner.dispatch(database, reachable, sent)
        assert redis.Redis.from_url(BROKER).llen(queue) == 1
        down = runner.submit(database, Settings(database_url=database.url, pseudonym_secret=TEST_SECRET,
                                                broker_url=UNREACHABLE, job_queue=queue),
                             workspace_id, "test.add", {"a": 40, "b": 2})
        job = wait_for_job(database, down, timeout=30)
        assert job.status == "succeeded" and job.result == {"sum": 42}
        assert redis.Redis.from_url(BROKER).llen(queue) == 1
    finally:
        redis.Redis.from_url(BROKER).delete(queue)
