"""The events the application emits, end to end: what happened reaches the subscribed endpoint."""
from __future__ import annotations

import json

import pytest
from standardwebhooks import Webhook

from influencers.webhooks import EVENT_TYPES, emit
from tests.fixtures.scoring import import_demo, run_scoring
from tests.fixtures.webhooks import create_endpoint, wait_for_delivery


def _events(receiver, secret, count):
    return [Webhook(secret).verify(r.body, r.headers) for r in receiver.wait_for(count)]


def test_import_and_scoring_run_events(api, receiver):
    endpoint = create_endpoint(api, receiver.url, events=["import.completed", "scoring_run.succeeded"])
    report = import_demo(api, creators=20)
    run = run_scoring(api)
    events = sorted(_events(receiver, endpoint["secret"], 2), key=lambda e: e["type"])
    imported, scored = events
    assert imported["type"] == "import.completed"
    assert imported["data"]["lines_read"] == report["lines_read"]
    assert imported["data"]["stored"] == report["stored"]
    assert imported["data"]["rejected_count"] == report["rejected_count"] == 0
    assert scored["type"] == "scoring_run.succeeded"
    assert scored["data"]["scoring_run"]["id"] == run["id"]
    assert scored["data"]["scoring_run"]["creators_scored"] == run["creators_scored"] == 20
    assert scored["data"]["scoring_run"]["model_version"] == run["model_version"]


def test_a_failed_scoring_run_is_an_event(api, receiver, monkeypatch):
    from influencers.scoring import runs

    def broken(*args, **kwargs):
        raise RuntimeError("the loader broke")

    monkeypatch.setattr(runs, "load_inputs", broken)
    endpoint = create_endpoint(api, receiver.url, events=["scoring_run.failed"])
    started = api.post("/v1/scoring-runs")
    [event] = _events(receiver, endpoint["secret"], 1)
    assert event["type"] == "scoring_run.failed"
    assert event["data"]["scoring_run"]["id"] == started.json["id"]
    assert "the loader broke" in event["data"]["scoring_run"]["error"]


def test_deliverable_review_events(api, receiver):
    endpoint = create_endpoint(api, receiver.url, events=[
        "deliverable.submitted", "deliverable.approved", "deliverable.published"])
    creator = api.post("/v1/creators", json={"platform": "instagram", "handle": "hooked", "followers": 10}).json
    campaign = api.post("/v1/campaigns", json={"name": "c", "brand": "b", "objective": "awareness",
                                               "budget_minor": 1, "currency": "EUR"}).json
    cc = api.post(f"/v1/campaigns/{campaign['id']}/creators", json={"creator_id": creator["id"]}).json
    deliverable = api.post(f"/v1/campaign-creators/{cc['id']}/deliverables", json={"kind": "post"}).json
    for step in ({"to": "submitted", "draft_text": "draft"}, {"to": "changes_requested", "comments": "more"},
                 {"to": "submitted", "draft_text": "draft 2"}, {"to": "approved"},
                 {"to": "published", "post_external_id": "p1"}):
        moved = api.post(f"/v1/deliverables/{deliverable['id']}/transitions", json=step)
        assert moved.status_code == 200, moved.json
    events = _events(receiver, endpoint["secret"], 4)
    assert sorted(e["type"] for e in events) == sorted(
        ["deliverable.submitted", "deliverable.submitted", "deliverable.approved", "deliverable.published"])
    published = next(e for e in events if e["type"] == "deliverable.published")
    assert published["data"]["deliverable"]["id"] == deliverable["id"]
    assert published["data"]["deliverable"]["campaign_id"] == campaign["id"]
    assert published["data"]["deliverable"]["post_external_id"] == "p1"
    assert published["data"]["from_status"] == "approved"


def test_emit_is_part_of_the_callers_transaction(api, receiver, database):
    endpoint = create_endpoint(api, receiver.url, events=["scoring_model.activated"])
    with pytest.raises(RuntimeError):
        with database.transaction() as session:
            emit(session, api.workspace_id, "scoring_model.activated", {"scoring_model": {"id": 1}})
            raise RuntimeError("the activation failed")
    with database.transaction() as session:
        emit(session, api.workspace_id, "scoring_model.activated", {"scoring_model": {"id": 2, "version": "v2"}})
    [event] = _events(receiver, endpoint["secret"], 1)
    assert event["data"]["scoring_model"] == {"id": 2, "version": "v2"}
    [delivery] = wait_for_delivery(api, endpoint["id"])
    assert json.loads(api.get(f"/v1/webhook-endpoints/{endpoint['id']}/deliveries/{delivery['id']}")
                      .json["payload"])["data"]["scoring_model"]["id"] == 2


def test_emit_rejects_unknown_event_types(database, workspace_id):
    assert "scoring_model.activated" in EVENT_TYPES
    with database.transaction() as session, pytest.raises(ValueError):
        emit(session, workspace_id, "scoring_model.renamed", {})
