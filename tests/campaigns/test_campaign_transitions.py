"""Every illegal transition answers 409 with the allowed ones, and changes nothing."""
import pytest

from influencers.campaigns import transitions

CAMPAIGN_PATHS = {"draft": [], "active": ["active"], "completed": ["active", "completed"], "cancelled": ["cancelled"]}
CREATOR_PATHS = {
    "shortlisted": [], "invited": ["invited"], "accepted": ["invited", "accepted"],
    "declined": ["invited", "declined"], "contracted": ["invited", "accepted", "contracted"],
    "completed": ["invited", "accepted", "contracted", "completed"], "removed": ["removed"],
}
DELIVERABLE_PATHS = {
    "planned": [], "submitted": ["submitted"], "changes_requested": ["submitted", "changes_requested"],
    "approved": ["submitted", "approved"], "published": ["submitted", "approved", "published"],
    "missed": ["missed"],
}
# Every field any step needs, so a refusal is about the transition, not a missing field.
DELIVERABLE_FIELDS = {"draft_url": "https://drafts.example/x", "comments": "ok", "post_external_id": "p-1"}


def test_the_paths_cover_every_status():
    assert set(CAMPAIGN_PATHS) == set(transitions.CAMPAIGN)
    assert set(CREATOR_PATHS) == set(transitions.CAMPAIGN_CREATOR)
    assert set(DELIVERABLE_PATHS) == set(transitions.DELIVERABLE)


def _assert_refused(h, kind, object_id, current, target, url, **body):
    response = h.api.post(url, json={"to": target, **body})
    allowed = ", ".join(transitions.MACHINES[kind][current]) or "none (final status)"
    assert response.status_code == 409, (kind, current, target, response.json)
    assert response.json["errors"] == {"json": {"to": [f"allowed: {allowed}"]}}
    assert current in response.json["message"] and target in response.json["message"]


@pytest.mark.parametrize("current", list(CAMPAIGN_PATHS))
def test_illegal_campaign_transitions(h, current):
    campaign = h.campaign()
    for step in CAMPAIGN_PATHS[current]:
        h.move("campaign", campaign["id"], step)
    illegal = [t for t in transitions.CAMPAIGN if t not in transitions.CAMPAIGN[current]]
    assert illegal
    for target in illegal:
        _assert_refused(h, "campaign", campaign["id"], current, target,
                        f"/v1/campaigns/{campaign['id']}/transitions")
    after = h.ok(h.api.get(f"/v1/campaigns/{campaign['id']}"))
    assert after["status"] == current and after["allowed_transitions"] == list(transitions.CAMPAIGN[current])
    assert len(h.ok(h.api.get(f"/v1/campaigns/{campaign['id']}/audit"))) == 1 + len(CAMPAIGN_PATHS[current])


@pytest.mark.parametrize("current", list(CREATOR_PATHS))
def test_illegal_campaign_creator_transitions(h, current):
    campaign = h.campaign()
    cc = h.add(campaign["id"], h.creator("c")["id"], fee_minor=100)
    for step in CREATOR_PATHS[current]:
        h.move("campaign_creator", cc["id"], step)
    for target in [t for t in transitions.CAMPAIGN_CREATOR if t not in transitions.CAMPAIGN_CREATOR[current]]:
        _assert_refused(h, "campaign_creator", cc["id"], current, target,
                        f"/v1/campaign-creators/{cc['id']}/transitions")
    assert h.ok(h.api.get(f"/v1/campaign-creators/{cc['id']}"))["status"] == current


@pytest.mark.parametrize("current", list(DELIVERABLE_PATHS))
def test_illegal_deliverable_transitions(h, current):
    campaign = h.campaign()
    d = h.deliverable(h.add(campaign["id"], h.creator("c")["id"])["id"])
    for step in DELIVERABLE_PATHS[current]:
        h.move("deliverable", d["id"], step, **DELIVERABLE_FIELDS)
    for target in [t for t in transitions.DELIVERABLE if t not in transitions.DELIVERABLE[current]]:
        _assert_refused(h, "deliverable", d["id"], current, target, f"/v1/deliverables/{d['id']}/transitions",
                        **DELIVERABLE_FIELDS)
    assert h.ok(h.api.get(f"/v1/deliverables/{d['id']}"))["status"] == current


def test_contracting_needs_a_fee(h, api):
    campaign = h.campaign()
    cc = h.add(campaign["id"], h.creator("nofee")["id"])
    h.move("campaign_creator", cc["id"], "invited")
    h.move("campaign_creator", cc["id"], "accepted")
    refused = api.post(f"/v1/campaign-creators/{cc['id']}/transitions", json={"to": "contracted"})
    assert refused.status_code == 409 and "fee_minor" in refused.json["message"]
    assert refused.json["errors"] == {"json": {"to": ["allowed: contracted, removed"]}}
    etag = api.get(f"/v1/campaign-creators/{cc['id']}").headers["ETag"]
    h.ok(api.patch(f"/v1/campaign-creators/{cc['id']}", json={"fee_minor": 5000}, headers={"If-Match": etag}))
    assert h.move("campaign_creator", cc["id"], "contracted")["status"] == "contracted"


def test_steps_need_their_fields(h, api):
    campaign = h.campaign()
    d = h.deliverable(h.add(campaign["id"], h.creator("c")["id"])["id"])
    url = f"/v1/deliverables/{d['id']}/transitions"
    assert api.post(url, json={"to": "submitted"}).status_code == 422
    h.move("deliverable", d["id"], "submitted", draft_text="draft")
    response = api.post(url, json={"to": "changes_requested"})
    assert response.status_code == 422 and "comments" in response.json["errors"]["json"]
    h.move("deliverable", d["id"], "approved")
    assert api.post(url, json={"to": "published"}).status_code == 422
    assert api.post(url, json={"to": "nowhere"}).status_code == 422


def test_closed_campaigns_take_no_new_creators_deliverables_or_briefs(h, api):
    campaign = h.campaign()
    cc = h.add(campaign["id"], h.creator("early")["id"])
    late = h.creator("late")
    h.move("campaign", campaign["id"], "cancelled", reason="budget cut")
    assert api.post(f"/v1/campaigns/{campaign['id']}/creators", json={"creator_id": late["id"]}).status_code == 409
    assert api.post(f"/v1/campaign-creators/{cc['id']}/deliverables", json={"kind": "post"}).status_code == 409
    assert h.brief(campaign["id"]).status_code == 409


def test_roles(h, client_for):
    campaign = h.campaign()
    viewer = client_for("viewer")
    assert viewer.get(f"/v1/campaigns/{campaign['id']}").status_code == 200
    assert viewer.post("/v1/campaigns", json={}).status_code == 403
    assert viewer.post(f"/v1/campaigns/{campaign['id']}/transitions", json={"to": "active"}).status_code == 403
    manager = client_for("manager")
    assert manager.post(f"/v1/campaigns/{campaign['id']}/transitions", json={"to": "active"}).status_code == 200


def test_validation(h, api):
    bad = api.post("/v1/campaigns", json={**h_campaign_body(), "budget_minor": 10.5, "currency": "eur",
                                          "colour": "red"})
    assert bad.status_code == 422
    assert set(bad.json["errors"]["json"]) == {"budget_minor", "currency", "colour"}
    dates = api.post("/v1/campaigns", json={**h_campaign_body(), "start_date": "2030-02-01",
                                            "end_date": "2030-01-01"})
    assert dates.status_code == 422 and "end_date" in dates.json["errors"]["json"]
    floats = api.post("/v1/campaigns", json={**h_campaign_body(), "target_kpis": {"cpe": 0.5}})
    assert floats.status_code == 422  # decimals are strings, never binary floats
    unknown_kpi = api.post("/v1/campaigns", json={**h_campaign_body(), "target_kpis": {"vibes": "1"}})
    assert unknown_kpi.status_code == 422


def h_campaign_body():
    return {"name": "n", "brand": "b", "objective": "awareness", "budget_minor": 100, "currency": "EUR"}
