"""Workspaces are isolated: every operation on a path id answers 404 with another workspace's key."""

from influencers.api.converters import IdConverter


def _id_routes(app):
    for rule in app.url_map.iter_rules():
        if any(isinstance(c, IdConverter) for c in rule._converters.values()):
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                yield rule, method


def _resources(api):
    """One resource of each kind in workspace A, keyed by path parameter name."""
    creator = api.post("/v1/creators", json={"platform": "instagram", "handle": "iso", "followers": 10}).json
    key = api.post("/v1/keys", json={"name": "iso", "role": "viewer"}).json
    ids = {"creator_id": creator["id"], "key_id": key["id"]}
    ids.update(_campaign_resources(api, creator["id"]))
    ids.update(_scoring_resources(api))
    shortlist = api.post("/v1/shortlists", json={"name": "iso", "creator_ids": [creator["id"]]}).json
    ids["shortlist_id"] = shortlist["id"]
    ids["brand_id"] = api.post("/v1/brands", json={"name": "iso", "keywords": ["iso"]}).json["id"]
    endpoint = api.post("/v1/webhook-endpoints", json={"url": "https://hooks.example.invalid/x",
                                                       "events": ["import.completed"]}).json
    delivery = api.post(f"/v1/webhook-endpoints/{endpoint['id']}/test").json
    ids.update(webhook_endpoint_id=endpoint["id"], delivery_id=delivery["id"])
    ids["label_id"] = api.post("/v1/labels", json={"creator_id": creator["id"], "label": "clean"}).json["id"]
    ids["comparison_id"] = _comparison(api, ids["scoring_model_id"])
    return ids


def _comparison(api, model_id):
    """A finished comparison row (a real one needs 20 labels per class and a training)."""
    from influencers.calibration.jobs import create_comparison
    from influencers.calibration.models import ModelComparison

    side = {"version": "v", "model_id": model_id, "metrics": {}, "scores": [0.2, 0.8]}
    db = api.client.application.extensions["influencers.db"]
    comparison_id = create_comparison(db, api.workspace_id, model_id, model_id)
    with db.transaction() as session:
        row = session.get(ModelComparison, comparison_id)
        row.result = {"y": [0, 1], "candidate": side, "baseline": side}
        row.job.status = "succeeded"
    return comparison_id


def _scoring_resources(api):
    from tests.fixtures.scoring import wait_for

    started = api.post("/v1/scoring-runs")
    run = wait_for(api, started.headers["Location"])
    model = api.get("/v1/scoring-models").json[0]
    return {"scoring_run_id": run["id"], "job_id": run["job_id"], "scoring_model_id": model["id"]}


def _campaign_resources(api, creator_id):
    campaign = api.post("/v1/campaigns", json={
        "name": "iso", "brand": "iso", "objective": "awareness", "budget_minor": 100, "currency": "EUR"}).json
    brief = api.post(f"/v1/campaigns/{campaign['id']}/briefs", json={"message": "iso"}).json
    cc = api.post(f"/v1/campaigns/{campaign['id']}/creators", json={"creator_id": creator_id}).json
    deliverable = api.post(f"/v1/campaign-creators/{cc['id']}/deliverables", json={"kind": "post"}).json
    # Published, so that its compliance check answers 200 to its owner.
    for step in ({"to": "submitted", "draft_text": "d"}, {"to": "approved"},
                 {"to": "published", "post_external_id": "x"}):
        api.post(f"/v1/deliverables/{deliverable['id']}/transitions", json=step)
    card = api.post("/v1/emv-rate-cards", json={"currency": "EUR", "rates": {"instagram": {"like": "0.1"}}}).json
    return {"campaign_id": campaign["id"], "brief_version": brief["version"], "campaign_creator_id": cc["id"],
            "deliverable_id": deliverable["id"], "rate_card_version": card["version"]}


# A valid request body per endpoint, so that the 404 cannot hide behind a 422.
VALID_BODIES = {
    "creators.update_creator": {"followers": 11},
    "campaigns.update_campaign": {"name": "x"},
    "campaigns.transition_campaign": {"to": "active"},
    "campaigns.create_brief": {"message": "m"},
    "campaigns.add_campaign_creator": {"creator_id": 1},
    "campaigns.add_campaign_creators": {"creator_ids": [1]},
    "campaigns.import_results": {"results": [{"deliverable_id": 1, "likes": 1}]},
    "campaign_creators.update_campaign_creator": {"notes": "x"},
    "campaign_creators.transition_campaign_creator": {"to": "invited"},
    "campaign_creators.create_deliverable": {"kind": "post"},
    "deliverables.update_deliverable": {"title": "x"},
    "deliverables.transition_deliverable": {"to": "submitted", "draft_text": "x"},
    "deliverables.create_result": {"likes": 1},
    "shortlists.update_shortlist": {"name": "x"},
    "shortlists.add_shortlist_creators": {"creator_ids": [1]},
    "brands.update_brand": {"keywords": ["x"]},
    "webhooks.update_endpoint": {"description": "x"},
}


# Routes that answer 404 to the owner too for the resources made here: a hand-set scoring
# model has no artefact (only boosted trained ones do).
OWNER_404 = {"scoring_models.get_scoring_model_artefact"}


def test_every_id_route_answers_404_to_another_workspace(app, api, other_api):
    ids = _resources(api)
    checked = 0
    for rule, method in _id_routes(app):
        missing = [name for name in rule.arguments if name not in ids]
        assert not missing, f"add a resource factory for {missing} ({rule.rule}) to this test"
        url = rule.rule
        for name in rule.arguments:
            url = url.replace(f"<id:{name}>", str(ids[name]))
        kwargs = {"json": VALID_BODIES.get(rule.endpoint, {})} if method in ("POST", "PUT", "PATCH") else {}
        response = getattr(other_api, method.lower())(url, headers={"If-Match": "*"}, **kwargs)
        assert response.status_code == 404, f"{method} {rule.rule}: {response.status_code} {response.json}"
        # ...and the owner still sees it (the 404 is isolation, not a broken route).
        if method == "GET" and rule.endpoint not in OWNER_404:
            assert api.get(url).status_code == 200, f"GET {rule.rule}"
        checked += 1
    assert checked >= 7
