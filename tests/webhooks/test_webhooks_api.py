"""Webhook endpoints over HTTP: registration, signed deliveries, retries, the delivery log,
redelivery, disabling, roles, ETags, audit and workspace isolation."""
from __future__ import annotations

import datetime as dt
import json
import logging
import time

import pytest
from sqlalchemy import text, update
from standardwebhooks import Webhook, WebhookVerificationError

from influencers.webhooks.models import WebhookEndpoint
from tests.fixtures.webhooks import activate_campaign, create_endpoint, wait_for_delivery


def test_secret_is_shown_once_and_never_stored_or_logged(api, receiver, database, caplog):
    caplog.set_level(logging.DEBUG)
    created = api.post("/v1/webhook-endpoints", headers={"Idempotency-Key": "k1"}, json={
        "url": receiver.url, "events": ["campaign.status_changed"], "description": "CRM sync"}).json
    secret = created["secret"]
    assert secret.startswith("whsec_")
    assert created["url"] == receiver.url and created["events"] == ["campaign.status_changed"]
    assert created["enabled"] is True
    fetched = api.get(f"/v1/webhook-endpoints/{created['id']}")
    assert fetched.status_code == 200 and "secret" not in fetched.json
    assert all("secret" not in e for e in api.get("/v1/webhook-endpoints").json)
    with database.engine.connect() as conn:
        for table in ("webhook_endpoints", "campaign_audit_events", "idempotency_records", "jobs"):
            rows = conn.execute(text(f"SELECT * FROM {table}")).all()
            assert secret[len("whsec_"):] not in repr(rows), table
    activate_campaign(api)
    receiver.wait_for(1)
    wait_for_delivery(api, created["id"])
    assert secret[len("whsec_"):] not in caplog.text


def test_delivery_is_signed_the_standard_webhooks_way(api, receiver):
    endpoint = create_endpoint(api, receiver.url)
    campaign = activate_campaign(api)
    [request] = receiver.wait_for(1)
    headers = {k.lower(): v for k, v in request.headers.items()}
    assert headers["content-type"] == "application/json"
    assert headers["webhook-id"].startswith("msg_")
    assert abs(int(headers["webhook-timestamp"]) - time.time()) < 30
    assert headers["webhook-signature"].startswith("v1,")
    # An independent implementation of the convention verifies it...
    payload = Webhook(endpoint["secret"]).verify(request.body, headers)
    assert payload["type"] == "campaign.status_changed"
    assert payload["data"]["campaign"]["id"] == campaign["id"]
    assert payload["data"]["from_status"] == "draft" and payload["data"]["to_status"] == "active"
    assert payload["data"]["reason"] == "go"
    # ...and rejects a changed body, a changed timestamp (a replay with a fresh one), another secret.
    with pytest.raises(WebhookVerificationError):
        Webhook(endpoint["secret"]).verify(request.body.replace(b"active", b"cancelled"), headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(endpoint["secret"]).verify(request.body, {**headers, "webhook-timestamp": str(int(time.time()) + 1)})
    other = create_endpoint(api, receiver.url)
    with pytest.raises(WebhookVerificationError):
        Webhook(other["secret"]).verify(request.body, headers)


def test_delivery_log_records_status_code_and_duration(api, receiver):
    endpoint = create_endpoint(api, receiver.url)
    activate_campaign(api)
    [delivery] = wait_for_delivery(api, endpoint["id"])
    assert delivery["status"] == "succeeded"
    assert delivery["event_type"] == "campaign.status_changed"
    assert delivery["attempt_count"] == 1 and delivery["response_code"] == 200
    assert delivery["duration_ms"] >= 0
    detail = api.get(f"/v1/webhook-endpoints/{endpoint['id']}/deliveries/{delivery['id']}").json
    [attempt] = detail["attempts"]
    assert attempt["response_code"] == 200 and attempt["succeeded"] is True
    assert attempt["response_body_excerpt"] == "ok"
    assert json.loads(detail["payload"])["type"] == "campaign.status_changed"


def test_failed_deliveries_are_retried_with_backoff_until_they_succeed(api, receiver):
    receiver.reply(500, b"busy", times=2)
    endpoint = create_endpoint(api, receiver.url)
    activate_campaign(api)
    requests = receiver.wait_for(3)
    # The same message each time (the receiver's idempotency key), a fresh timestamp, a valid signature.
    assert len({r.headers["webhook-id"] for r in requests}) == 1
    for r in requests:
        Webhook(endpoint["secret"]).verify(r.body, r.headers)
    [delivery] = wait_for_delivery(api, endpoint["id"], status=("succeeded",))
    assert delivery["attempt_count"] == 3
    attempts = api.get(f"/v1/webhook-endpoints/{endpoint['id']}/deliveries/{delivery['id']}").json["attempts"]
    assert [a["response_code"] for a in attempts] == [500, 500, 200]
    assert "HTTP 500" in attempts[0]["error"]


@pytest.mark.slow  # waits out a delivery's retries (8 attempts, backed off)
def test_exhausted_delivery_fails_and_can_be_redelivered(app, api, receiver):
    receiver.reply(503, times=8)
    endpoint = create_endpoint(api, receiver.url)
    activate_campaign(api)
    [delivery] = wait_for_delivery(api, endpoint["id"])
    assert delivery["status"] == "failed" and delivery["attempt_count"] == app.extensions[
        "influencers.settings"].webhook_max_attempts
    sent = len(receiver.requests)
    redo = api.post(f"/v1/webhook-endpoints/{endpoint['id']}/deliveries/{delivery['id']}/redeliver")
    assert redo.status_code == 202, redo.json
    assert redo.json["redelivery_of"] == delivery["id"] and redo.json["status"] == "pending"
    receiver.reply(200, b"thanks")
    requests = receiver.wait_for(sent + 1)
    assert requests[-1].headers["webhook-id"] == requests[0].headers["webhook-id"]
    listed = wait_for_delivery(api, endpoint["id"], count=2)
    assert {d["status"] for d in listed} == {"failed", "succeeded"}


def test_an_endpoint_failing_for_days_is_disabled_and_says_why(api, receiver, database):
    endpoint = create_endpoint(api, receiver.url)
    with database.transaction() as session:
        session.execute(update(WebhookEndpoint).where(WebhookEndpoint.id == endpoint["id"]).values(
            failing_since=dt.datetime.now(dt.UTC) - dt.timedelta(days=6)))
    receiver.reply(500, b"down", times=20)
    activate_campaign(api)
    wait_for_delivery(api, endpoint["id"])
    shown = api.get(f"/v1/webhook-endpoints/{endpoint['id']}").json
    assert shown["enabled"] is False
    assert "6 days" in shown["disabled_reason"] and "HTTP 500" in shown["disabled_reason"]
    sent = len(receiver.requests)
    activate_campaign(api)  # a disabled endpoint gets nothing
    time.sleep(0.3)
    assert len(receiver.requests) == sent
    audit = api.get(f"/v1/webhook-endpoints/{endpoint['id']}/audit").json
    assert [e["action"] for e in audit][-1] == "disabled" and audit[-1]["key_id"] is None
    # Re-enabling (If-Match) clears the reason and the failure streak.
    etag = api.get(f"/v1/webhook-endpoints/{endpoint['id']}").headers["ETag"]
    enabled = api.patch(f"/v1/webhook-endpoints/{endpoint['id']}", json={"enabled": True}, headers={"If-Match": etag})
    assert enabled.status_code == 200, enabled.json
    assert enabled.json["enabled"] is True and enabled.json["disabled_reason"] is None
    assert enabled.json["failing_since"] is None


def test_endpoints_receive_only_the_events_they_subscribe_to(api, receiver):
    create_endpoint(api, receiver.url, events=["deliverable.approved"])
    activate_campaign(api)
    time.sleep(0.3)
    assert receiver.requests == []


def test_test_event_can_be_sent_on_demand(api, receiver):
    endpoint = create_endpoint(api, receiver.url, events=["deliverable.approved"])
    sent = api.post(f"/v1/webhook-endpoints/{endpoint['id']}/test")
    assert sent.status_code == 202, sent.json
    [request] = receiver.wait_for(1)
    assert Webhook(endpoint["secret"]).verify(request.body, request.headers)["type"] == "webhook.test"


def test_rotating_the_secret_shows_the_new_one_once(api, receiver):
    endpoint = create_endpoint(api, receiver.url)
    etag = api.get(f"/v1/webhook-endpoints/{endpoint['id']}").headers["ETag"]
    rotated = api.post(f"/v1/webhook-endpoints/{endpoint['id']}/secret", headers={"If-Match": etag})
    assert rotated.status_code == 200, rotated.json
    new_secret = rotated.json["secret"]
    assert new_secret != endpoint["secret"]
    activate_campaign(api)
    [request] = receiver.wait_for(1)
    Webhook(new_secret).verify(request.body, request.headers)


@pytest.mark.parametrize("body, field", [
    ({"url": "ftp://example.com/x", "events": ["campaign.status_changed"]}, "url"),
    ({"url": "https://user:pw@example.com/x", "events": ["campaign.status_changed"]}, "url"),
    ({"url": "https://example.com/x", "events": ["campaign.renamed"]}, "events"),
    ({"url": "https://example.com/x", "events": []}, "events"),
    ({"url": "https://10.1.2.3/x", "events": ["campaign.status_changed"]}, "url"),
    ({"url": "https://169.254.169.254/latest", "events": ["campaign.status_changed"]}, "url"),
    ({"url": "https://[::1]/x", "events": ["campaign.status_changed"]}, "url"),
    ({"url": "not a url", "events": ["campaign.status_changed"]}, "url"),
])
def test_invalid_endpoints_are_rejected_naming_the_field(api, body, field):
    response = api.post("/v1/webhook-endpoints", json=body)
    assert response.status_code == 422, response.json
    assert field in response.json["errors"]["json"], response.json
    assert api.get("/v1/webhook-endpoints").json == []


def test_plain_http_needs_the_operators_allowance(app, database):
    from influencers.app import create_app
    from influencers.config import Settings
    from tests.fixtures.api import ApiClient, make_workspace
    from tests.fixtures.database import TEST_SECRET

    strict = create_app(Settings(database_url=database.url, pseudonym_secret=TEST_SECRET), database=database)
    ws_id, key = make_workspace(database, "strict")
    client = ApiClient(strict.test_client(), key, ws_id)
    response = client.post("/v1/webhook-endpoints", json={"url": "http://hooks.example.com/x",
                                                          "events": ["import.completed"]})
    assert response.status_code == 422 and "https" in response.json["errors"]["json"]["url"][0]
    loopback = client.post("/v1/webhook-endpoints", json={"url": "https://127.0.0.1:8443/x",
                                                          "events": ["import.completed"]})
    assert loopback.status_code == 422 and "loopback" in loopback.json["errors"]["json"]["url"][0]
    named = client.post("/v1/webhook-endpoints", json={"url": "https://localhost/x", "events": ["import.completed"]})
    assert named.status_code == 422 and "loopback" in named.json["errors"]["json"]["url"][0]


def test_roles_admins_manage_everyone_reads(api, role_client, receiver):
    endpoint = create_endpoint(api, receiver.url)
    for role in ("viewer", "analyst", "manager"):
        client = role_client(role)
        assert client.post("/v1/webhook-endpoints", json={
            "url": receiver.url, "events": ["import.completed"]}).status_code == 403
        assert client.post(f"/v1/webhook-endpoints/{endpoint['id']}/test").status_code == 403
        assert client.get(f"/v1/webhook-endpoints/{endpoint['id']}").status_code == 200
        assert client.get(f"/v1/webhook-endpoints/{endpoint['id']}/deliveries").status_code == 200


def test_updates_and_deletes_need_the_current_etag_and_are_audited(api, receiver):
    endpoint = create_endpoint(api, receiver.url)
    url = f"/v1/webhook-endpoints/{endpoint['id']}"
    assert api.patch(url, json={"description": "x"}).status_code == 428
    assert api.patch(url, json={"description": "x"}, headers={"If-Match": '"stale"'}).status_code == 412
    etag = api.get(url).headers["ETag"]
    changed = api.patch(url, json={"events": ["import.completed", "scoring_run.failed"]}, headers={"If-Match": etag})
    assert changed.status_code == 200 and changed.json["events"] == ["import.completed", "scoring_run.failed"]
    assert changed.headers["ETag"] != etag
    assert api.delete(url, headers={"If-Match": etag}).status_code == 412
    assert api.delete(url, headers={"If-Match": changed.headers["ETag"]}).status_code == 204
    assert api.get(url).status_code == 404


def test_audit_trail_names_who_changed_the_endpoint(api, receiver):
    endpoint = create_endpoint(api, receiver.url)
    url = f"/v1/webhook-endpoints/{endpoint['id']}"
    api.patch(url, json={"enabled": False}, headers={"If-Match": api.get(url).headers["ETag"]})
    audit = api.get(f"{url}/audit").json
    assert [(e["action"], e["to_status"]) for e in audit] == [("created", "enabled"), ("updated", "disabled")]
    assert all(e["key_id"] is not None for e in audit)


def test_other_workspaces_see_nothing(api, other_api, receiver):
    endpoint = create_endpoint(api, receiver.url)
    activate_campaign(api)
    [delivery] = wait_for_delivery(api, endpoint["id"])
    base = f"/v1/webhook-endpoints/{endpoint['id']}"
    assert other_api.get("/v1/webhook-endpoints").json == []
    for method, url in (("get", base), ("get", f"{base}/deliveries"), ("get", f"{base}/deliveries/{delivery['id']}"),
                        ("post", f"{base}/deliveries/{delivery['id']}/redeliver"), ("post", f"{base}/test"),
                        ("get", f"{base}/audit")):
        assert getattr(other_api, method)(url).status_code == 404, url
    # Their own endpoint does not get this workspace's events either.
    create_endpoint(other_api, receiver.url)
    activate_campaign(api)
    receiver.wait_for(2)
    time.sleep(0.3)
    assert len(receiver.requests) == 2


@pytest.mark.slow  # waits out a delivery's retries (8 attempts, backed off)
def test_the_delivery_log_filters_by_status_and_event_type(api, receiver):
    receiver.reply(410, times=8)
    endpoint = create_endpoint(api, receiver.url)
    activate_campaign(api)
    wait_for_delivery(api, endpoint["id"])
    api.post(f"/v1/webhook-endpoints/{endpoint['id']}/test")
    wait_for_delivery(api, endpoint["id"], count=2)
    base = f"/v1/webhook-endpoints/{endpoint['id']}/deliveries"
    assert [d["event_type"] for d in api.get(f"{base}?status=failed").json] == ["campaign.status_changed"]
    assert [d["event_type"] for d in api.get(f"{base}?event_type=webhook.test").json] == ["webhook.test"]
    assert api.get(f"{base}?state=failed").status_code == 422
