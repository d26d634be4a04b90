"""Model versions: edit the active one (validated), diff, activate with If-Match and re-score."""
import pytest

from tests.fixtures.scoring import current_scores, wait_for


@pytest.fixture
def database_template(calibration_demo):
    return calibration_demo


WEIGHTS = {"authenticity": 0.55, "engagement": 0.2, "reach": 0.15, "centrality": 0.1}


def active_etag(api):
    response = api.get("/v1/scoring-models/active")
    assert response.status_code == 200, response.json
    return response.json, response.headers["ETag"]


def activate(api, model_id, etag=None):
    etag = etag or active_etag(api)[1]
    return api.put("/v1/scoring-models/active", json={"model_id": model_id}, headers={"If-Match": etag})


def test_an_edited_version_is_validated_field_by_field(demo_api):
    created = demo_api.post("/v1/scoring-models", json={"version": "tuned-1", "description": "more authenticity",
                                                        "weights": WEIGHTS})
    assert created.status_code == 201, created.json
    body = created.json
    assert body["source"] == "edited" and body["is_active"] is False
    active = demo_api.get("/v1/scoring-models/active").json
    assert body["parameters"]["weights"] == WEIGHTS
    assert body["parameters"]["thresholds"] == active["parameters"]["thresholds"]
    assert body["parameters"]["version"] == "tuned-1"

    def rejected(document, *path):
        response = demo_api.post("/v1/scoring-models", json={"version": "bad", **document})
        assert response.status_code == 422, response.json
        errors = response.json["errors"]["json"]
        for key in path:
            assert key in errors, errors
            errors = errors[key]
        return errors

    assert "sum to 1" in str(rejected({"weights": {**WEIGHTS, "reach": 0.05}}, "weights"))
    rejected({"weights": {**WEIGHTS, "reach": -0.05, "authenticity": 0.75}}, "weights", "reach")
    rejected({"weights": {**WEIGHTS, "popularity": 0.0}}, "weights", "popularity")
    rejected({"colour": "red"}, "colour")
    rejected({"thresholds": {"bought_followers_share": 1.5}}, "thresholds", "bought_followers_share")
    rejected({"thresholds": {"no_such_threshold": 1}}, "thresholds", "no_such_threshold")
    rejected({"flag_penalties": {"bought_likes": 2}}, "flag_penalties", "bought_likes")
    rejected({"reach_rates": {"myspace": 0.1}}, "reach_rates", "myspace")
    assert demo_api.post("/v1/scoring-models", json={"version": "tuned-1", "weights": WEIGHTS}).status_code == 409


def test_viewers_cannot_create_and_managers_cannot_activate(client_for, demo_api):
    assert client_for("viewer").post("/v1/scoring-models", json={"weights": WEIGHTS}).status_code == 403
    created = client_for("analyst").post("/v1/scoring-models", json={"weights": WEIGHTS})
    assert created.status_code == 201 and created.json["version"].startswith("edited-")
    manager = client_for("manager")
    assert activate(manager, created.json["id"]).status_code == 403


def test_diff_names_each_changed_number(demo_api):
    default_id = demo_api.get("/v1/scoring-models/active").json["id"]
    tuned = demo_api.post("/v1/scoring-models", json={"version": "tuned-1", "weights": WEIGHTS,
                                                      "thresholds": {"spike_z": 9.0}}).json
    diff = demo_api.get(f"/v1/scoring-models/{tuned['id']}/diff", query_string={"against": default_id})
    assert diff.status_code == 200, diff.json
    changes = {c["path"]: (c["from"], c["to"]) for c in diff.json["changes"]}
    assert changes["weights.authenticity"] == (0.4, 0.55)
    assert changes["thresholds.spike_z"] == (8.0, 9.0)
    assert "version" in changes and all(p.split(".")[0] in ("weights", "thresholds", "version") for p in changes)


def test_activation_needs_the_current_etag_and_rescoring_names_the_version(demo_api, database):
    tuned = demo_api.post("/v1/scoring-models", json={"version": "tuned-1", "weights": WEIGHTS}).json
    before = current_scores(database, demo_api.workspace_id)
    missing = demo_api.put("/v1/scoring-models/active", json={"model_id": tuned["id"]})
    assert missing.status_code == 428
    active, etag = active_etag(demo_api)
    started = activate(demo_api, tuned["id"], etag)
    assert started.status_code == 202, started.json
    run = wait_for(demo_api, started.headers["Location"])
    assert run["status"] == "succeeded" and run["model_version"] == "tuned-1"
    stale = activate(demo_api, active["id"], etag)
    assert stale.status_code == 412
    assert demo_api.get("/v1/scoring-models/active").json["version"] == "tuned-1"
    after = current_scores(database, demo_api.workspace_id)
    assert after.keys() == before.keys() and after != before
    creator_id = next(iter(after))
    assert demo_api.get(f"/v1/creators/{creator_id}/score").json["summary"]["model_version"] == "tuned-1"
    events = demo_api.get("/v1/calibration-events", query_string={"object_type": "scoring_model"}).json
    assert [e["action"] for e in events] == ["created", "activated"]

    # Rolling back is activating the earlier version: the earlier scores come back exactly.
    rolled = activate(demo_api, active["id"])
    assert wait_for(demo_api, rolled.headers["Location"])["status"] == "succeeded"
    assert current_scores(database, demo_api.workspace_id) == before


def test_model_versions_are_workspace_isolated(demo_api, other_api):
    tuned = demo_api.post("/v1/scoring-models", json={"version": "tuned-1", "weights": WEIGHTS}).json
    assert other_api.get(f"/v1/scoring-models/{tuned['id']}").status_code == 404
    other_active = other_api.get("/v1/scoring-models/active").json
    assert other_api.get(f"/v1/scoring-models/{other_active['id']}/diff",
                         query_string={"against": tuned["id"]}).status_code == 404
    etag = other_api.get("/v1/scoring-models/active").headers["ETag"]
    response = other_api.put("/v1/scoring-models/active", json={"model_id": tuned["id"]}, headers={"If-Match": etag})
    assert response.status_code == 404


def test_a_description_the_database_cannot_store_is_refused_with_its_field(demo_api):
    for text in ("a\u0000b", "a\ud973b"):
        response = demo_api.post("/v1/scoring-models", json={"description": text})
        assert response.status_code == 422, response.json
        assert "description" in str(response.json["errors"])
