"""A real ``celery -A influencers.jobs.celery_app worker`` process, as the README starts it."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from contextlib import contextmanager
from pathlib import Path

from tests.fixtures.database import TEST_SECRET

REPO = Path(__file__).resolve().parents[2]
BROKER = os.environ.get("INFLUENCERS_TEST_BROKER_URL")


@contextmanager
def celery_worker(database_url: str, log_path: Path, **env):
    """Starts a worker on its own queue (so parallel tests never take each other's jobs);
    yields the queue name. ``env``: extra environment variables for the worker."""
    queue = f"test-{uuid.uuid4().hex[:12]}"
    environment = {
        **os.environ,
        "INFLUENCERS_DATABASE_URL": database_url,
        "INFLUENCERS_BROKER_URL": BROKER,
        "INFLUENCERS_JOB_QUEUE": queue,
        "INFLUENCERS_PSEUDONYM_SECRET": TEST_SECRET.decode(),
        "INFLUENCERS_JOB_MODULES": "tests.jobs.job_kinds",
        "PYTHONPATH": str(REPO),
        **env,
    }
    celery = Path(sys.executable).with_name("celery")
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [str(celery), "-A", "influencers.jobs.celery_app", "worker", "--loglevel=INFO", "--concurrency=1",
             "--without-gossip", "--without-mingle"],
            cwd=REPO, env=environment, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield queue
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
