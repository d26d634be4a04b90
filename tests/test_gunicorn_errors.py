"""Errors gunicorn answers itself (before the app sees the request) use the API's JSON error shape."""
import json
import socket

import pytest

# The session's one gunicorn server: these modules run on one xdist worker, which starts it once.
pytestmark = pytest.mark.xdist_group("gunicorn")


@pytest.fixture
def server(gunicorn_server):
    return gunicorn_server.port


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
