"""The app under gunicorn on a loopback port, for tests that drive it as a client would."""
from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def gunicorn(env: dict, log: Path, workers: int = 2):
    """Yields the base URL once /health answers; stops the server (killed if it lingers) afterwards."""
    port = free_port()
    with open(log, "w") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
             "influencers.app:create_app()"],
            env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=log_file)
        base = f"http://127.0.0.1:{port}"
        try:
            # Importing the app (numpy, scikit-learn, ...) can take a while on a busy machine.
            deadline = time.time() + 180
            while True:
                try:
                    urllib.request.urlopen(base + "/health", timeout=1)
                    break
                except OSError:
                    if time.time() > deadline or process.poll() is not None:
                        pytest.fail("gunicorn did not start: " + log.read_text()[-2000:])
                    time.sleep(0.2)
            yield base
        finally:
            process.terminate()
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
