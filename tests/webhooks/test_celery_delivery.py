"""Webhook deliveries run as jobs on a Celery worker when a broker is configured (CI: Redis)."""
import os

import pytest
from standardwebhooks import Webhook

from influencers.config import Settings
from tests.fixtures.api import ApiClient, make_workspace
from tests.fixtures.database import TEST_SECRET
from tests.fixtures.webhooks import WEBHOOK_TEST_SETTINGS, wait_for_delivery

BROKER = os.environ.get("INFLUENCERS_TEST_BROKER_URL")


@pytest.mark.skipif(not BROKER, reason="set INFLUENCERS_TEST_BROKER_URL (CI does) to test Celery on Redis")
def test_a_celery_worker_delivers_and_retries(database, receiver, monkeypatch):
    from celery.contrib.testing.worker import start_worker

    from influencers.app import create_app
    from influencers.jobs import celery_app

    # The worker reads its settings from the environment, as a deployed one does.
    monkeypatch.setenv("INFLUENCERS_DATABASE_URL", database.url)
    monkeypatch.setenv("INFLUENCERS_PSEUDONYM_SECRET", TEST_SECRET.decode())
    monkeypatch.setenv("INFLUENCERS_BROKER_URL", BROKER)
    monkeypatch.setenv("INFLUENCERS_WEBHOOK_ALLOW_HTTP", "true")
    monkeypatch.setenv("INFLUENCERS_WEBHOOK_ALLOWED_NETWORKS", "127.0.0.0/8")
    monkeypatch.setenv("INFLUENCERS_WEBHOOK_RETRY_BASE_SECONDS", "0.2")
    monkeypatch.setenv("INFLUENCERS_WEBHOOK_RETRY_MAX_SECONDS", "0.5")
    celery_app.app.conf.broker_url = BROKER
    settings = Settings(database_url=database.url, pseudonym_secret=TEST_SECRET, broker_url=BROKER,
                        **WEBHOOK_TEST_SETTINGS)
    app = create_app(settings, database=database)
    ws_id, key = make_workspace(database, "celery-hooks")
    api = ApiClient(app.test_client(), key, ws_id)
    receiver.reply(500, b"not yet")
    with start_worker(celery_app.app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        endpoint = api.post("/v1/webhook-endpoints", json={"url": receiver.url, "events": ["import.completed"]}).json
        assert api.post(f"/v1/webhook-endpoints/{endpoint['id']}/test").status_code == 202
        [delivery] = wait_for_delivery(api, endpoint["id"], status=("succeeded",), timeout=60)
    assert delivery["attempt_count"] == 2
    requests = receiver.wait_for(2)
    assert Webhook(endpoint["secret"]).verify(requests[-1].body, requests[-1].headers)["type"] == "webhook.test"


@pytest.mark.skipif(not BROKER, reason="set INFLUENCERS_TEST_BROKER_URL (CI does) to test a Celery worker")
def test_a_webhook_delivery_runs_in_a_celery_worker_process(database, receiver, tmp_path):
    """CI's real worker (`celery -A influencers.jobs.celery_app worker`, as the README starts it)
    sends a delivery and its retry, signed with the secret the API showed."""
    from influencers.app import create_app
    from influencers.jobs.models import Job
    from tests.fixtures.celery_worker import celery_worker

    receiver.reply(503, b"warming up")
    env = {"INFLUENCERS_WEBHOOK_ALLOW_HTTP": "true", "INFLUENCERS_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8",
           "INFLUENCERS_WEBHOOK_RETRY_BASE_SECONDS": "0.5", "INFLUENCERS_WEBHOOK_RETRY_MAX_SECONDS": "1"}
    log = tmp_path / "worker.log"
    with celery_worker(database.url, log, **env) as queue:
        settings = Settings(database_url=database.url, pseudonym_secret=TEST_SECRET, broker_url=BROKER,
                            job_queue=queue, **WEBHOOK_TEST_SETTINGS)
        app = create_app(settings, database=database)
        ws_id, key = make_workspace(database, "celery-process-hooks")
        api = ApiClient(app.test_client(), key, ws_id)
        endpoint = api.post("/v1/webhook-endpoints", json={"url": receiver.url, "events": ["import.completed"]}).json
        assert api.post(f"/v1/webhook-endpoints/{endpoint['id']}/test").status_code == 202
        try:
            [delivery] = wait_for_delivery(api, endpoint["id"], status=("succeeded",), timeout=180)
        except AssertionError as error:
            raise AssertionError(f"{error}\n{log.read_text()[-3000:]}") from None
    assert delivery["attempt_count"] == 2
    requests = receiver.wait_for(2)
    assert [Webhook(endpoint["secret"]).verify(r.body, r.headers)["type"] for r in requests] == ["webhook.test"] * 2
    with database.session() as session:
        workers = {job.worker for job in session.query(Job).filter(Job.kind == "webhook.deliver")}
    assert len(workers) == 1 and not workers.pop().endswith(f":{os.getpid()}")  # the worker process ran both
