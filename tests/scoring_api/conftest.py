import io
import time

import pytest

from influencers.demo.generator import DemoConfig, write_ndjson


def wait_for(api, url, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        body = api.get(url).json
        if body["status"] in ("succeeded", "failed"):
            return body
        time.sleep(0.05)
    raise AssertionError(f"{url} did not finish: {body}")


def import_demo(api, creators=60, seed=3):
    buffer = io.StringIO()
    write_ndjson(DemoConfig(creators=creators, seed=seed), buffer)
    response = api.post("/v1/imports", data=buffer.getvalue().encode(), content_type="application/x-ndjson")
    assert response.status_code == 200, response.json
    assert response.json["rejected_count"] == 0, response.json["rejected"][:3]
    return response.json


def run_scoring(api):
    started = api.post("/v1/scoring-runs")
    assert started.status_code == 202, started.json
    run = wait_for(api, started.headers["Location"])
    assert run["status"] == "succeeded", run
    return run


@pytest.fixture
def scored_api(api):
    import_demo(api)
    run_scoring(api)
    return api
