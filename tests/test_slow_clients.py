"""The default server (`gunicorn wsgi:app` from the repository) against slow, idle and vanishing clients."""
import http.client
import io
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from influencers.demo.generator import DemoConfig, write_ndjson
from tests.conftest import TEST_SECRET, make_workspace
from tests.test_gunicorn import free_port

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def server(database, tmp_path):
    """`gunicorn wsgi:app` as the README runs it, kept small (1 process, 2 threads) so few
    slow clients would be enough to take it down if they could hold threads."""
    port = free_port()
    env = {**os.environ, "INFLUENCERS_DATABASE_URL": database.url, "INFLUENCERS_PSEUDONYM_SECRET": TEST_SECRET.decode(),
           "INFLUENCERS_WORKERS": "1", "INFLUENCERS_THREADS": "2", "INFLUENCERS_HEADER_TIMEOUT": "3"}
    log = open(tmp_path / "gunicorn.log", "w")
    process = subprocess.Popen([sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "wsgi:app"],
                               cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.time() + 180
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1)
            break
        except Exception:
            time.sleep(0.2)
    else:
        process.kill()
        pytest.fail("gunicorn did not start: " + (tmp_path / "gunicorn.log").read_text()[-2000:])
    yield port
    process.terminate()
    process.wait(timeout=30)


def connect(port) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=10)


def ndjson(creators=10) -> bytes:
    buffer = io.StringIO()
    write_ndjson(DemoConfig(creators=creators, seed=9), buffer)
    return buffer.getvalue().encode()


def creator_total(port, key) -> int:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/v1/creators?page_size=1",
                                     headers={"Authorization": f"Bearer {key}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.headers["X-Pagination"])["total"]


def test_idle_and_slow_clients_do_not_hold_the_servers_threads(server):
    slow = []
    for _ in range(8):
        slow.append(connect(server))  # idle: connected, sends nothing
    for _ in range(8):
        s = connect(server)
        s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")  # headers never finished
        slow.append(s)
    for _ in range(8):
        s = connect(server)
        s.sendall(b"POST /v1/imports HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-ndjson\r\n"
                  b"Content-Length: 100000\r\n\r\n{\"type\":")  # body trickling in
        slow.append(s)
    try:
        for _ in range(10):
            # Would wait forever (until the slow clients give up) if they held the two threads.
            with urllib.request.urlopen(f"http://127.0.0.1:{server}/health", timeout=5) as response:
                assert response.status == 200
    finally:
        for s in slow:
            s.close()


def test_headers_that_never_finish_are_answered_408_and_the_connection_closed(server):
    with connect(server) as s:
        s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")
        answer = b""
        while chunk := s.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 408")
    assert json.loads(answer.split(b"\r\n\r\n", 1)[1])["code"] == 408


def test_an_import_cut_short_by_the_client_stores_nothing(server, database):
    _ws, key = make_workspace(database, "vanishing")
    body = ndjson()
    with connect(server) as s:
        s.sendall(f"POST /v1/imports HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {key}\r\n"
                  f"Content-Type: application/x-ndjson\r\nContent-Length: {len(body)}\r\n\r\n".encode())
        s.sendall(body[: len(body) // 2])
    time.sleep(1)
    assert creator_total(server, key) == 0


def test_whole_imports_arrive_with_content_length_chunked_or_after_100_continue(server, database):
    _ws, key = make_workspace(database, "whole")
    body = ndjson(creators=5)
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/x-ndjson"}
    connection = http.client.HTTPConnection("127.0.0.1", server, timeout=60)
    connection.request("POST", "/v1/imports", body=body, headers=headers)
    response = connection.getresponse()
    assert response.status == 200 and json.loads(response.read())["lines_read"] == len(body.splitlines())
    # Chunked, in pieces of odd sizes, on the same kept-alive connection.
    pieces = (body[i:i + 777] for i in range(0, len(body), 777))
    connection.request("POST", "/v1/imports", body=pieces, headers=headers, encode_chunked=True)
    response = connection.getresponse()
    assert response.status == 200 and json.loads(response.read())["lines_read"] == len(body.splitlines())
    connection.close()
    with connect(server) as s:
        s.sendall(f"POST /v1/imports HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {key}\r\nConnection: close\r\n"
                  f"Content-Type: application/x-ndjson\r\nExpect: 100-continue\r\n"
                  f"Content-Length: {len(body)}\r\n\r\n".encode())
        assert s.recv(100).startswith(b"HTTP/1.1 100 Continue")
        s.sendall(body)
        answer = b""
        while chunk := s.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 200"), answer[:300]
    assert answer.count(b"100 Continue") == 0
    assert creator_total(server, key) == 5
