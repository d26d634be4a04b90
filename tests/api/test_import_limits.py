"""Import bodies: an empty one is an error, and a chunked one over the limit is refused before any import."""
import io
import json

import pytest

from influencers.imports import importer

LINE = json.dumps({"type": "creator", "platform": "instagram", "handle": "c", "followers": 1, "following": 1,
                   "posts_count": 1}).encode() + b"\n"


@pytest.mark.parametrize("body", [b"", b"\n", b"  \n\r\n\n"])
def test_an_empty_import_body_is_422(api, body):
    response = api.post("/v1/imports", data=body, content_type="application/x-ndjson")
    assert response.status_code == 422, response.data
    assert response.json["code"] == 422 and "body" in response.json["errors"]


def test_a_chunked_body_over_the_limit_is_413_before_any_line_is_imported(database, monkeypatch):
    from influencers.app import create_app
    from influencers.config import Settings
    from tests.fixtures.api import make_workspace
    from tests.fixtures.database import TEST_SECRET

    limit = 64 * 1024
    app = create_app(Settings(database_url=database.url, pseudonym_secret=TEST_SECRET, max_import_bytes=limit),
                     database=database)
    _, key = make_workspace(database, "chunked")
    imported = []
    real_run_import = importer.run_import

    def spy(db, workspace_id, lines, **kwargs):
        imported.append(True)
        return real_run_import(db, workspace_id, lines, **kwargs)

    monkeypatch.setattr(importer, "run_import", spy)
    body = LINE * (2 * limit // len(LINE))
    response = app.test_client().post(
        "/v1/imports", input_stream=io.BytesIO(body), content_type="application/x-ndjson",
        headers={"Authorization": f"Bearer {key}", "Transfer-Encoding": "chunked"},
        environ_base={"wsgi.input_terminated": True})
    assert response.status_code == 413, response.data
    assert imported == []
    assert app.test_client().get("/v1/creators", headers={"Authorization": f"Bearer {key}"}).json == []
