"""A webhook receiver on 127.0.0.1 and an app whose configuration allows delivering to it."""
from __future__ import annotations

import dataclasses
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from influencers.config import Settings
from tests.fixtures.api import ApiClient, make_workspace
from tests.fixtures.database import TEST_SECRET
from tests.fixtures.webhooks import WEBHOOK_TEST_SETTINGS


@dataclasses.dataclass
class Received:
    path: str
    headers: dict
    body: bytes
    at: float


class Receiver:
    """Records every request; answers with the queued (status, body, delay) replies, then 200."""

    def __init__(self):
        self.requests: list[Received] = []
        self.replies: list[tuple[int, bytes, float, dict]] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.lock:
                    receiver.requests.append(Received(self.path, dict(self.headers), body, time.time()))
                    status, reply, delay, headers = (receiver.replies.pop(0) if receiver.replies
                                                     else (200, b"ok", 0.0, {}))
                if delay:
                    time.sleep(delay)
                try:
                    self.send_response(status)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(reply)))
                    self.end_headers()
                    if headers.get("X-Trickle"):  # one byte every 0.1 s
                        for byte in reply:
                            self.wfile.write(bytes([byte]))
                            self.wfile.flush()
                            time.sleep(0.1)
                    else:
                        self.wfile.write(reply)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hooks"
        # shutdown() waits for the server's next poll: the default 0.5 s made every test's teardown wait.
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02},
                                       daemon=True)
        self.thread.start()

    def reply(self, status, body=b"", delay=0.0, headers=None, times=1):
        with self.lock:
            self.replies.extend([(status, body, delay, headers or {})] * times)

    def wait_for(self, count, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            with self.lock:
                if len(self.requests) >= count:
                    return list(self.requests)
            time.sleep(0.02)
        raise AssertionError(f"the receiver got {len(self.requests)} requests, expected {count}")

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def settings(database):
    return Settings(database_url=database.url, pseudonym_secret=TEST_SECRET, **WEBHOOK_TEST_SETTINGS)


@pytest.fixture
def role_client(app, database):
    def make(role: str, workspace: str = "brand-a") -> ApiClient:
        ws_id, key = make_workspace(database, workspace, role=role)
        return ApiClient(app.test_client(), key, ws_id)

    return make
