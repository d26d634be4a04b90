"""`influencers webhooks retry-due` sends the attempts whose in-process timer was lost."""
import dataclasses
import datetime as dt
import time

from click.testing import CliRunner
from sqlalchemy import select, update

from influencers.cli import main
from influencers.jobs import runner
from influencers.jobs.models import Job
from influencers.webhooks.models import WebhookDelivery
from tests.fixtures.database import TEST_SECRET


def test_retry_due_sends_lost_retries(app, api, receiver, database, monkeypatch):
    # Retries an hour away: the timer must not fire before the "process stops".
    database.settings = dataclasses.replace(database.settings, webhook_retry_base_seconds=3600,
                                            webhook_retry_max_seconds=7200)
    receiver.reply(500, b"down")
    endpoint = api.post("/v1/webhook-endpoints", json={"url": receiver.url, "events": ["import.completed"]}).json
    api.post(f"/v1/webhook-endpoints/{endpoint['id']}/test")
    receiver.wait_for(1)
    deadline = time.time() + 20
    while api.get(f"/v1/webhook-endpoints/{endpoint['id']}/deliveries").json[0]["attempt_count"] < 1:
        assert time.time() < deadline
        time.sleep(0.05)
    runner.cancel_delayed_jobs()  # the process "stopped": its retry timer is gone
    with database.transaction() as session:
        session.execute(update(WebhookDelivery).values(
            next_attempt_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)))

    for name, value in {"INFLUENCERS_DATABASE_URL": database.url, "INFLUENCERS_PSEUDONYM_SECRET": TEST_SECRET.decode(),
                        "INFLUENCERS_WEBHOOK_ALLOW_HTTP": "1", "INFLUENCERS_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8",
                        "INFLUENCERS_BROKER_URL": ""}.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(main, ["webhooks", "retry-due"])
    assert result.exit_code == 0, result.output
    assert "1 overdue delivery attempt(s) sent" in result.output
    assert len(receiver.wait_for(2)) == 2
    [delivery] = api.get(f"/v1/webhook-endpoints/{endpoint['id']}/deliveries").json
    assert delivery["status"] == "succeeded" and delivery["attempt_count"] == 2
    again = CliRunner().invoke(main, ["webhooks", "retry-due"])
    assert "0 overdue" in again.output


def test_retry_due_replaces_a_retry_job_that_can_no_longer_run(app, api, receiver, database, monkeypatch):
    database.settings = dataclasses.replace(database.settings, webhook_retry_base_seconds=3600,
                                            webhook_retry_max_seconds=7200)
    receiver.reply(500, b"down")
    endpoint = api.post("/v1/webhook-endpoints", json={"url": receiver.url, "events": ["import.completed"]}).json
    api.post(f"/v1/webhook-endpoints/{endpoint['id']}/test")
    deadline = time.time() + 20
    while api.get(f"/v1/webhook-endpoints/{endpoint['id']}/deliveries").json[0]["attempt_count"] < 1:
        assert time.time() < deadline
        time.sleep(0.05)
    runner.cancel_delayed_jobs()
    with database.transaction() as session:
        delivery = session.scalars(select(WebhookDelivery)).one()
        # The retry is queued for when it is due, not since the failed attempt.
        assert session.get(Job, delivery.job_id).not_before > dt.datetime.now(dt.UTC) + dt.timedelta(
            minutes=20)
        # Its job was failed meanwhile (e.g. by a reaper), the delivery is overdue.
        session.execute(update(Job).where(Job.id == delivery.job_id).values(status="failed"))
        delivery.next_attempt_at = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    _env(monkeypatch, database)
    result = CliRunner().invoke(main, ["webhooks", "retry-due"])
    assert "1 overdue delivery attempt(s) sent" in result.output, result.output
    assert len(receiver.wait_for(2)) == 2
    [shown] = api.get(f"/v1/webhook-endpoints/{endpoint['id']}/deliveries").json
    assert shown["status"] == "succeeded" and shown["attempt_count"] == 2


def _env(monkeypatch, database):
    for name, value in {"INFLUENCERS_DATABASE_URL": database.url, "INFLUENCERS_PSEUDONYM_SECRET": TEST_SECRET.decode(),
                        "INFLUENCERS_WEBHOOK_ALLOW_HTTP": "1", "INFLUENCERS_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8",
                        "INFLUENCERS_BROKER_URL": ""}.items():
        monkeypatch.setenv(name, value)


def test_purge_deletes_old_events_with_their_deliveries(api, receiver, database, monkeypatch):
    from influencers.webhooks.models import WebhookEvent

    endpoint = api.post("/v1/webhook-endpoints", json={"url": receiver.url, "events": ["import.completed"]}).json
    for _ in range(2):
        api.post(f"/v1/webhook-endpoints/{endpoint['id']}/test")
    receiver.wait_for(2)
    deadline = time.time() + 20
    while {d["status"] for d in api.get(f"/v1/webhook-endpoints/{endpoint['id']}/deliveries").json} != {"succeeded"}:
        assert time.time() < deadline
        time.sleep(0.05)
    with database.transaction() as session:
        old = session.scalars(select(WebhookEvent).order_by(WebhookEvent.id)).first()
        old.created_at = dt.datetime.now(dt.UTC) - dt.timedelta(days=40)
    _env(monkeypatch, database)
    result = CliRunner().invoke(main, ["webhooks", "purge", "--days", "30"])
    assert result.exit_code == 0 and "1 webhook event(s) deleted" in result.output, result.output
    assert len(api.get(f"/v1/webhook-endpoints/{endpoint['id']}/deliveries").json) == 1
