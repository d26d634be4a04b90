"""Trained versions over the API: a comparison job and its pictures; a boosted version's artefact,
export and import (uploads checked), and a tampered stored artefact refused at activation.

Each test starts from its own copy of a workspace labelled and trained once per test process through
the domain function the training job runs (tests/calibration/conftest.py); training itself over
the API is tested in test_trained_models_api.py. The module stays on one worker, which builds the
workspace once.
"""
import io
import json

import pytest
from sqlalchemy import update

from influencers.calibration.models import TrainedClassifier
from tests.fixtures.scoring import wait_for

pytestmark = pytest.mark.xdist_group("trained-versions")


@pytest.fixture
def database_template(trained_demo):
    return trained_demo


def activate(api, model_id):
    etag = api.get("/v1/scoring-models/active").headers["ETag"]
    return api.put("/v1/scoring-models/active", json={"model_id": model_id}, headers={"If-Match": etag})


@pytest.mark.slow
def test_comparison_job_json_and_pictures(api, client_for, trained_demo):
    started = api.post("/v1/scoring-model-comparisons", json={"candidate_id": trained_demo.facts["logistic"]})
    assert started.status_code == 202, started.json
    done = wait_for(api, started.headers["Location"], timeout=300)
    assert done["status"] == "succeeded", done
    assert done["result"]["candidate"]["metrics"]["roc_auc"] >= done["result"]["baseline"]["metrics"]["roc_auc"]
    for name in ("roc", "reliability", "distributions"):
        picture = client_for("viewer").get(f"{started.headers['Location']}/plots/{name}.png")
        assert picture.status_code == 200 and picture.mimetype == "image/png"
        assert picture.data.startswith(b"\x89PNG")
    assert api.get(f"{started.headers['Location']}/plots/pie.png").status_code == 404


def test_boosted_model_tampered_artefact_is_refused_and_export_import_checks_uploads(api, other_api, database,
                                                                                    trained_demo):
    model_id = trained_demo.facts["boosted"]
    document = api.get(f"/v1/scoring-models/{model_id}/document").json
    assert document["classifier"]["kind"] == "boosted"
    artefact = api.get(f"/v1/scoring-models/{model_id}/artefact")
    assert artefact.status_code == 200
    assert artefact.headers["X-Artefact-SHA256"] == document["classifier"]["artefact_sha256"]

    def upload(client, doc, data):
        files = {"document": (io.BytesIO(json.dumps(doc).encode()), "document.json")}
        if data is not None:
            files["artefact"] = (io.BytesIO(data), "model.skops")
        return client.post("/v1/scoring-models/imports", data=files, content_type="multipart/form-data")

    imported = upload(other_api, document, artefact.data)
    assert imported.status_code == 201, imported.json
    assert imported.json["source"] == "imported" and imported.json["version"] == "trained-1"

    tampered = bytearray(artefact.data)
    tampered[len(tampered) // 2] ^= 0xFF
    refused = upload(other_api, {**document, "version": "tampered"}, bytes(tampered))
    assert refused.status_code == 422 and "sha256" in str(refused.json["errors"]["json"]["artefact"])
    bomb = io.BytesIO()
    import zipfile
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("schema.json", b"{}")
        archive.writestr("x.npy", b"\0" * 10_000_000)
    digest = __import__("hashlib").sha256(bomb.getvalue()).hexdigest()
    doc = {**document, "version": "bomb", "classifier": {**document["classifier"], "artefact_sha256": digest}}
    refused = upload(other_api, doc, bomb.getvalue())
    assert refused.status_code == 422 and "zip bomb" in str(refused.json["errors"]["json"]["artefact"])
    assert upload(other_api, {**document, "version": "no-artefact"}, None).status_code == 422

    # The stored artefact changed behind the API's back: activation refuses it, nothing changes.
    with database.transaction() as session:
        session.execute(update(TrainedClassifier).where(TrainedClassifier.model_id == model_id)
                        .values(artefact=bytes(tampered)))
    before = api.get("/v1/scoring-models/active").json
    response = activate(api, model_id)
    assert response.status_code == 409 and "sha256" in response.json["message"]
    assert api.get("/v1/scoring-models/active").json["id"] == before["id"]
