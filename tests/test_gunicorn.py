"""Several gunicorn workers on one database: no "database is locked", no lost updates."""
import json
import threading
import urllib.error
import urllib.request

import pytest

# The session's one gunicorn server: these modules run on one xdist worker, which starts it once.
pytestmark = pytest.mark.xdist_group("gunicorn")


def call(base, method, path, key, body=None, headers=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, method=method)
    request.add_header("Authorization", f"Bearer {key}")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read() or b"null")


def test_concurrent_increments_through_workers_lose_nothing(gunicorn_server):
    server = gunicorn_server.base
    _, key = gunicorn_server.workspace("gunicorn")
    status, _, creator = call(server, "POST", "/v1/creators", key, {"platform": "instagram", "handle": "counter",
                                                                    "followers": 0})
    assert status == 201
    url = f"/v1/creators/{creator['id']}"
    clients, increments = 12, 4
    statuses = []

    def increment_many():
        for _ in range(increments):
            while True:
                status, headers, current = call(server, "GET", url, key)
                statuses.append(status)
                status, _, _ = call(server, "PATCH", url, key, {"followers": current["followers"] + 1},
                                    {"If-Match": headers["ETag"]})
                statuses.append(status)
                if status == 200:
                    break
                assert status == 412, status

    threads = [threading.Thread(target=increment_many) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not [s for s in statuses if s >= 500]
    assert call(server, "GET", url, key)[2]["followers"] == clients * increments
