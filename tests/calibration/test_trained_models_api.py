"""Training through the API: too few labels, the training job, explanation, activation, rollback.

Comparisons and artefacts of trained versions: test_trained_versions_api.py."""

import pytest

from influencers.demo.generator import labels
from tests.fixtures.scoring import CALIBRATION_DEMO as CONFIG
from tests.fixtures.scoring import current_scores, import_lines, label_records, wait_for


@pytest.fixture
def database_template(calibration_demo):
    return calibration_demo


def activate(api, model_id):
    etag = api.get("/v1/scoring-models/active").headers["ETag"]
    return api.put("/v1/scoring-models/active", json={"model_id": model_id}, headers={"If-Match": etag})


def train(api, **body):
    started = api.post("/v1/scoring-models/trainings", json=body)
    assert started.status_code == 202, started.json
    job = wait_for(api, started.headers["Location"], timeout=300)
    assert job["status"] == "succeeded", job
    return job["result"]


def ranking(scores):
    return sorted(scores, key=lambda cid: (-scores[cid], cid))


def test_too_few_labels_is_a_422_naming_what_is_missing(demo_api):
    import_lines(demo_api, label_records(labels(CONFIG), every=5))  # 20 creators, ~6 fraud
    response = demo_api.post("/v1/scoring-models/trainings", json={})
    assert response.status_code == 422
    assert "fraud" in response.json["message"] and "20" in response.json["message"]
    assert "fraud" in response.json["errors"]["labels"] and "clean" in response.json["errors"]["labels"]


@pytest.mark.slow
def test_train_activate_explain_and_roll_back_exactly(labelled_api, database):
    api = labelled_api
    default = api.get("/v1/scoring-models/active").json
    before = current_scores(database, api.workspace_id)

    result = train(api, kind="logistic")
    assert result["version"] == "trained-1" and result["kind"] == "logistic"
    training = result["training"]
    assert training["labels"]["fraud"] > 20 and set(training["cross_validation"]["candidates"]) == {"logistic",
                                                                                                    "boosted"}
    comparison = result["comparison"]
    assert comparison["candidate"]["version"] == "trained-1" and comparison["baseline"]["version"] == default["version"]
    for side in ("candidate", "baseline"):
        m = comparison[side]["metrics"]
        assert {"roc_auc", "pr_auc", "brier", "flag_precision", "flag_recall", "precision_at_k"} <= set(m)
    assert comparison["candidate"]["permutation_importance"]
    # A trained version never replaces the active one by itself.
    assert api.get("/v1/scoring-models/active").json["id"] == default["id"]
    assert current_scores(database, api.workspace_id) == before

    document = api.get(f"/v1/scoring-models/{result['model_id']}/document").json
    assert document["classifier"]["kind"] == "logistic"
    assert document["classifier"]["parameters"]["standardised_coefficients"]

    started = activate(api, result["model_id"])
    assert started.status_code == 202, started.json
    assert wait_for(api, started.headers["Location"])["status"] == "succeeded"
    after = current_scores(database, api.workspace_id)
    assert ranking(after) != ranking(before)

    creator_id = ranking(after)[-1]
    explained = api.get(f"/v1/creators/{creator_id}/score").json
    section = explained["explanation"]["fraud_model"]
    assert explained["summary"]["model_version"] == "trained-1" and section["version"] == "trained-1"
    assert 0 <= section["probability"]["value"] <= 1
    total = (section["intercept"] + sum(c["contribution"] for c in section["contributions"])
             + section["other_contributions"])
    assert abs(total - section["log_odds"]) < 1e-6  # exact for the linear model
    assert abs(explained["explanation"]["authenticity"]["value"] - 100 * (1 - section["probability"]["value"])) < 1e-6

    rolled = activate(api, default["id"])
    assert wait_for(api, rolled.headers["Location"])["status"] == "succeeded"
    assert current_scores(database, api.workspace_id) == before
