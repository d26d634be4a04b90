"""Several gunicorn workers on one database: no "database is locked", no lost updates."""
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import pytest

from tests.conftest import make_workspace


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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


@pytest.fixture
def server(database, tmp_path):
    port = free_port()
    env = {**os.environ, "INFLUENCERS_DATABASE_URL": database.url,
           "INFLUENCERS_PSEUDONYM_SECRET": "gunicorn-test"}
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", "3", "--threads", "2", "--bind", f"127.0.0.1:{port}",
         "influencers.app:create_app()"],
        env=env, stdout=subprocess.DEVNULL, stderr=open(tmp_path / "gunicorn.log", "w"),
    )
    base = f"http://127.0.0.1:{port}"
    # Importing the app (numpy, scikit-learn, ...) in three workers can take a while on a busy machine.
    deadline = time.time() + 180
    while time.time() < deadline:
        try:
            urllib.request.urlopen(base + "/health", timeout=1)
            break
        except Exception:
            time.sleep(0.2)
    else:
        process.kill()
        pytest.fail("gunicorn did not start: " + (tmp_path / "gunicorn.log").read_text()[-2000:])
    yield base
    process.terminate()
    try:
        # gunicorn's graceful stop can take several seconds on a busy machine.
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def test_concurrent_increments_through_workers_lose_nothing(server, database):
    _, key = make_workspace(database, "gunicorn")
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
