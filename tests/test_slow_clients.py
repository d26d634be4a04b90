"""The default server (`gunicorn wsgi:app` from the repository) against slow, idle and vanishing clients."""
import http.client
import io
import json
import socket
import time
import urllib.request

import pytest

from influencers.demo.generator import DemoConfig, write_ndjson

# The session's one gunicorn server: these modules run on one xdist worker, which starts it once.
pytestmark = pytest.mark.xdist_group("gunicorn")


@pytest.fixture
def server(gunicorn_server):
    """The session's `gunicorn wsgi:app` (2 processes of 2 threads, headers due within 1 s):
    a few slow clients would be enough to take it down if they could hold its threads."""
    return gunicorn_server.port


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


def test_an_import_cut_short_by_the_client_stores_nothing(server, gunicorn_server):
    _ws, key = gunicorn_server.workspace("vanishing")
    body = ndjson()
    with connect(server) as s:
        s.sendall(f"POST /v1/imports HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {key}\r\n"
                  f"Content-Type: application/x-ndjson\r\nContent-Length: {len(body)}\r\n\r\n".encode())
        s.sendall(body[: len(body) // 2])
    time.sleep(1)
    assert creator_total(server, key) == 0


def test_whole_imports_arrive_with_content_length_chunked_or_after_100_continue(server, gunicorn_server):
    _ws, key = gunicorn_server.workspace("whole")
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
