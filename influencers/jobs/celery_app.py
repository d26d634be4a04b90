"""The Celery application for deployments with a broker (``INFLUENCERS_BROKER_URL``).

Start workers with ``celery -A influencers.jobs.celery_app worker``; they read the
same environment variables as the API (database, secrets).
"""
from __future__ import annotations

from functools import lru_cache

from celery import Celery

from influencers.config import load_settings
from influencers.db import Database

app = Celery("influencers")
app.conf.update(
    broker_url=load_settings().broker_url or "memory://",
    # A job survives a worker killed mid-run: the message is acknowledged only
    # after the job has recorded its outcome, and redelivered otherwise.
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    broker_connection_retry_on_startup=True,
)


@lru_cache(maxsize=4)
def _database(url: str) -> Database:
    return Database(url)


@app.task(name="influencers.run_job")
def run_job_task(job_id: int) -> None:
    from influencers.jobs.runner import run_job

    settings = load_settings()
    run_job(_database(settings.database_url), settings, job_id)
