"""Concurrent edits: ETags and conditional writes, never a silent overwrite; idempotent creation."""
from sqlalchemy import func, select

from influencers.campaigns.models import Campaign, CampaignBrief
from influencers.workspaces.models import AuditEvent
from tests.fixtures.helpers import run_concurrently


def test_two_people_editing_one_brief(h, api, database):
    campaign = h.campaign()
    first = h.brief(campaign["id"])
    etag = first.headers["ETag"]
    statuses = run_concurrently(2, lambda i: h.brief(campaign["id"], etag=etag, message=f"edit {i}").status_code)
    assert sorted(statuses) == [201, 412]
    with database.session() as session:
        versions = session.scalars(select(CampaignBrief.version).where(
            CampaignBrief.campaign_id == campaign["id"]).order_by(CampaignBrief.version)).all()
    assert versions == [1, 2]
    # The loser's ETag is now stale: re-read, then edit.
    assert h.brief(campaign["id"], etag=etag, message="late").status_code == 412
    latest = h.ok(api.get(f"/v1/campaigns/{campaign['id']}/briefs/2"))
    fresh = api.get(f"/v1/campaigns/{campaign['id']}/briefs/2").headers["ETag"]
    assert h.brief(campaign["id"], etag=fresh, message="after re-reading").status_code == 201
    assert latest["message"].startswith("edit ")


def test_brief_changes_need_if_match_once_one_exists(h):
    campaign = h.campaign()
    assert h.brief(campaign["id"]).status_code == 201
    assert h.brief(campaign["id"]).status_code == 428


def test_concurrent_first_briefs_make_one_version(h, database):
    campaign = h.campaign()
    statuses = run_concurrently(3, lambda i: h.brief(campaign["id"], message=f"first {i}").status_code)
    # Losers either saw the first version (428: If-Match needed now) or lost the conditional write (412).
    assert sorted(statuses)[0] == 201 and set(sorted(statuses)[1:]) <= {412, 428}
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(CampaignBrief)) == 1


def test_two_patches_with_one_etag(h, api):
    campaign = h.campaign()
    url = f"/v1/campaigns/{campaign['id']}"
    etag = api.get(url).headers["ETag"]
    statuses = run_concurrently(2, lambda i: api.patch(url, json={"budget_minor": 10 + i},
                                                       headers={"If-Match": etag}).status_code)
    assert sorted(statuses) == [200, 412]
    assert h.ok(api.get(url))["version"] == 2
    assert api.patch(url, json={"name": "x"}).status_code == 428


def test_concurrent_transitions_one_wins(h, api, database):
    campaign = h.campaign()
    url = f"/v1/campaigns/{campaign['id']}/transitions"
    responses = run_concurrently(3, lambda i: api.post(url, json={"to": "active"}))
    statuses = sorted(r.status_code for r in responses)
    # The losers either read the old status and lose the conditional write (412),
    # or read the new one and are refused (409): never two transitions.
    assert statuses[0] == 200 and set(statuses[1:]) <= {409, 412}
    with database.session() as session:
        moves = session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.object_type == "campaign", AuditEvent.action == "transition"))
    assert moves == 1


def test_transition_with_a_stale_if_match(h, api):
    campaign = h.campaign()
    stale = api.get(f"/v1/campaigns/{campaign['id']}").headers["ETag"]
    etag = api.patch(f"/v1/campaigns/{campaign['id']}", json={"name": "renamed"},
                     headers={"If-Match": stale}).headers["ETag"]
    url = f"/v1/campaigns/{campaign['id']}/transitions"
    assert api.post(url, json={"to": "active"}, headers={"If-Match": stale}).status_code == 412
    response = api.post(url, json={"to": "active"}, headers={"If-Match": etag})
    assert response.status_code == 200 and response.headers["ETag"] != etag


def test_concurrent_idempotent_campaign_creation(h, api, database):
    body = {"name": "once", "brand": "b", "objective": "awareness", "budget_minor": 1, "currency": "EUR"}
    responses = run_concurrently(
        3, lambda i: api.post("/v1/campaigns", json=body, headers={"Idempotency-Key": "campaign-once"}))
    assert {r.status_code for r in responses} == {201}
    assert len({r.json["id"] for r in responses}) == 1
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(Campaign)) == 1


def test_idempotent_creator_add_and_deliverable(h, api):
    campaign = h.campaign()
    creator = h.creator("idem")
    url = f"/v1/campaigns/{campaign['id']}/creators"
    first = api.post(url, json={"creator_id": creator["id"]}, headers={"Idempotency-Key": "add-1"})
    again = api.post(url, json={"creator_id": creator["id"]}, headers={"Idempotency-Key": "add-1"})
    assert first.status_code == again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    d_url = f"/v1/campaign-creators/{first.json['id']}/deliverables"
    d1 = api.post(d_url, json={"kind": "story"}, headers={"Idempotency-Key": "d-1"})
    d2 = api.post(d_url, json={"kind": "story"}, headers={"Idempotency-Key": "d-1"})
    assert d1.json["id"] == d2.json["id"]
    assert len(h.ok(api.get(d_url))) == 1
