"""Errors gunicorn answers itself (before the app sees the request) use the API's JSON error shape."""
import json
import os
import socket
import subprocess
import sys
import time

import pytest

from tests.test_gunicorn import free_port


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("gunicorn-errors")
    port = free_port()
    env = {**os.environ, "INFLUENCERS_DATABASE_URL": f"sqlite:///{tmp_path}/e.db",
           "INFLUENCERS_PSEUDONYM_SECRET": "gunicorn-test"}
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", "1", "--bind", f"127.0.0.1:{port}",
         "influencers.app:create_app()"],
        env=env, stdout=subprocess.DEVNULL, stderr=open(tmp_path / "gunicorn.log", "w"))
    deadline = time.time() + 180
    while time.time() < deadline:
        try:
            if b" 200 " in _raw(port, b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"):
                break
        except OSError:
            time.sleep(0.2)
    else:
        process.kill()
        pytest.fail("gunicorn did not start: " + (tmp_path / "gunicorn.log").read_text()[-2000:])
    yield port
    process.terminate()
    try:
        # gunicorn's graceful stop can take several seconds on a busy machine.
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _raw(port, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        chunks = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)


def _answer(raw: bytes):
    head, _, body = raw.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    headers = {line.split(b":", 1)[0].strip().lower(): line.split(b":", 1)[1].strip()
               for line in head.split(b"\r\n")[1:]}
    return status, headers, body


@pytest.mark.parametrize("request_bytes,status", [
    (b"GET /v1/creators?q=" + b"a" * 10_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
    (b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 10_000 + b"\r\n\r\n", 431),
    (b"NOT A REQUEST\r\n\r\n", 400),
])
def test_server_level_errors_are_json(server, request_bytes, status):
    answered, headers, body = _answer(_raw(server, request_bytes))
    assert answered == status
    assert headers[b"content-type"].startswith(b"application/json")
    payload = json.loads(body)
    assert payload["code"] == status and isinstance(payload["message"], str) and payload["status"]
    assert len(body) < 1000
