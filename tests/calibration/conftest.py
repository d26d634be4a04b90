import io
import json
import time

import pytest
from sqlalchemy import select

from influencers.demo.generator import DemoConfig, labels, write_ndjson
from influencers.scoring.store import CreatorScore

# Small and fraud-rich: 30 fraud creators of 100 (training needs 20 per class), small samples.
CONFIG = DemoConfig(creators=100, seed=11, fraud_share=0.3, audience_size=60, posts_per_creator=12)


def wait_for(api, url, timeout=120):
    deadline = time.time() + timeout
    body = None
    while time.time() < deadline:
        body = api.get(url).json
        if body["status"] in ("succeeded", "failed"):
            return body
        time.sleep(0.05)
    raise AssertionError(f"{url} did not finish: {body}")


def import_lines(api, data: bytes):
    response = api.post("/v1/imports", data=data, content_type="application/x-ndjson")
    assert response.status_code == 200, response.json
    assert response.json["rejected_count"] == 0, response.json["rejected"][:3]
    return response.json


def label_records(truth, every=1):
    return b"\n".join(json.dumps({
        "type": "label", "platform": t.platform, "handle": t.handle,
        "label": "fraud" if t.is_fraud else "clean", "kinds": list(t.fraud_types) if t.is_fraud else None,
        "source": "manual_review"}).encode() for t in truth[::every])


def score(api):
    started = api.post("/v1/scoring-runs")
    assert started.status_code == 202, started.json
    run = wait_for(api, started.headers["Location"])
    assert run["status"] == "succeeded", run
    return run


def current_scores(database, workspace_id) -> dict[int, float]:
    with database.session() as session:
        return dict(session.execute(select(CreatorScore.creator_id, CreatorScore.score).where(
            CreatorScore.workspace_id == workspace_id, CreatorScore.is_current.is_(True))).all())


@pytest.fixture
def demo_api(api):
    """brand-a with the demo creators imported and scored (no labels yet)."""
    buffer = io.StringIO()
    write_ndjson(CONFIG, buffer)
    import_lines(api, buffer.getvalue().encode())
    score(api)
    return api


@pytest.fixture
def labelled_api(demo_api):
    """brand-a with every demo creator labelled from the generator's ground truth."""
    import_lines(demo_api, label_records(labels(CONFIG)))
    return demo_api
