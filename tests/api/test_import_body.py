"""How the HTTP import takes its body: buffered, whole or not at all, and in the background when large."""
import io
import time
from dataclasses import replace

import pytest

from influencers.app import create_app
from influencers.demo.generator import DemoConfig, write_ndjson
from tests.fixtures.api import ApiClient, make_workspace


def demo_ndjson(creators=12, seed=5) -> bytes:
    buffer = io.StringIO()
    write_ndjson(DemoConfig(creators=creators, seed=seed), buffer)
    return buffer.getvalue().encode()


class RecordingStream(io.BytesIO):
    """A request body that remembers how it was read (as gunicorn's body is read)."""

    def __init__(self, data, on_read=None):
        super().__init__(data)
        self.calls = 0
        self.on_read = on_read

    def read(self, size=-1):
        self.calls += 1
        if self.on_read is not None:
            self.on_read()
        return super().read(size)

    def readline(self, size=-1):
        self.calls += 1
        return super().readline(size)

    def readinto(self, buffer):
        self.calls += 1
        if self.on_read is not None:
            self.on_read()
        return super().readinto(buffer)

    def read1(self, size=-1):
        self.calls += 1
        return super().read1(size)


def post_stream(api, stream, content_length, headers=None):
    # As under gunicorn: the server terminates the input (wsgi.input_terminated), so the
    # application sees exactly the bytes that arrived, however many were declared.
    return api.client.post(
        "/v1/imports", headers={"Authorization": f"Bearer {api.key}", "Content-Type": "application/x-ndjson",
                                 "Content-Length": str(content_length), **(headers or {})},
        environ_overrides={"wsgi.input": stream, "wsgi.input_terminated": True,
                           "CONTENT_LENGTH": str(content_length)})


def creator_count(api) -> int:
    response = api.get("/v1/creators", query_string={"page_size": 1})
    assert response.status_code == 200
    import json
    return json.loads(response.headers["X-Pagination"])["total"]


def test_a_body_shorter_than_its_content_length_is_an_error_and_stores_nothing(api):
    body = demo_ndjson()
    received = body[: len(body) // 2]  # the client went away half way
    response = post_stream(api, RecordingStream(received), content_length=len(body))
    assert response.status_code == 400, response.json
    assert response.json["code"] == 400
    assert str(len(body)) in response.json["message"] and str(len(received)) in response.json["message"]
    assert creator_count(api) == 0


def test_the_body_is_read_in_large_blocks_not_byte_by_byte(api):
    body = demo_ndjson(creators=30)
    stream = RecordingStream(body)
    response = post_stream(api, stream, content_length=len(body))
    assert response.status_code == 200, response.json
    assert response.json["rejected_count"] == 0
    assert stream.calls <= len(body) // (64 * 1024) + 3, stream.calls


def test_no_import_transaction_is_held_while_the_body_arrives(api, database):
    """Another writer commits while the body is still being received (SQLite: the write lock is free)."""
    from influencers.workspaces.models import Workspace

    body = demo_ndjson()
    writes = []

    def another_writer():
        if not writes:
            with database.transaction() as session:
                session.add(Workspace(name="written-meanwhile"))
            writes.append(True)

    response = post_stream(api, RecordingStream(body, on_read=another_writer), content_length=len(body))
    assert response.status_code == 200 and writes == [True]


def _wait_for_job(api, location, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        job = api.get(location).json
        if job["status"] in ("succeeded", "failed"):
            return job
        time.sleep(0.05)
    raise AssertionError(job)


def test_prefer_respond_async_answers_202_with_the_job_and_its_progress(api):
    body = demo_ndjson()
    response = api.post("/v1/imports", data=body, content_type="application/x-ndjson",
                        headers={"Prefer": "respond-async"})
    assert response.status_code == 202, response.json
    assert response.headers["Preference-Applied"] == "respond-async"
    location = response.headers["Location"]
    assert location == f"/v1/jobs/{response.json['id']}"
    assert response.json["kind"] == "import" and response.json["status"] in ("queued", "running", "succeeded")
    job = _wait_for_job(api, location)
    assert job["status"] == "succeeded", job
    assert job["progress"] == 1.0
    assert job["result"]["lines_read"] == len(body.splitlines()) and job["result"]["rejected_count"] == 0
    assert job["result"]["bytes_read"] == len(body)
    assert creator_count(api) == 12


def test_an_import_above_the_async_threshold_runs_in_the_background(database, settings):
    app = create_app(replace(settings, import_async_bytes=1000), database=database)
    ws_id, key = make_workspace(database, "large-imports")
    api = ApiClient(app.test_client(), key, ws_id)
    small = (b'{"type": "creator", "platform": "instagram", "handle": "tiny", "followers": 1, "following": 1, '
             b'"posts_count": 1}\n')
    assert api.post("/v1/imports", data=small, content_type="application/x-ndjson").status_code == 200
    response = api.post("/v1/imports", data=demo_ndjson(), content_type="application/x-ndjson")
    assert response.status_code == 202, response.json
    assert "Preference-Applied" not in response.headers
    assert _wait_for_job(api, response.headers["Location"])["status"] == "succeeded"
    assert creator_count(api) == 13


def test_a_background_import_leaves_no_upload_behind(api, settings):
    from influencers.imports import uploads

    response = api.post("/v1/imports", data=demo_ndjson(), content_type="application/x-ndjson",
                        headers={"Prefer": "respond-async"})
    assert _wait_for_job(api, response.headers["Location"])["status"] == "succeeded"
    assert list(uploads.upload_dir(settings).glob("*")) == []


@pytest.mark.parametrize("prefer", ["respond-async", "respond-async, wait=10"])
def test_an_async_import_of_another_workspace_is_not_visible(api, other_api, prefer):
    response = api.post("/v1/imports", data=demo_ndjson(), content_type="application/x-ndjson",
                        headers={"Prefer": prefer})
    assert response.status_code == 202
    _wait_for_job(api, response.headers["Location"])
    assert other_api.get(response.headers["Location"]).status_code == 404
