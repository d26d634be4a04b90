"""The Celery application for deployments with a broker (``INFLUENCERS_BROKER_URL``).

Start workers with ``celery -A influencers.jobs.celery_app worker``.
"""
from __future__ import annotations

from functools import lru_cache

from celery import Celery

from influencers.config import load_settings
from influencers.db import Database

settings = load_settings()
app = Celery("influencers", broker=settings.broker_url or "memory://")
app.conf.update(task_acks_late=True, task_reject_on_worker_lost=True, worker_prefetch_multiplier=1)


@lru_cache(maxsize=1)
def _database() -> Database:
    return Database(settings.database_url)


@app.task(name="influencers.run_job")
def run_job_task(job_id: int) -> None:
    from influencers.jobs.runner import run_job

    run_job(_database(), settings, job_id)
