"""The Celery application for deployments with a broker (``INFLUENCERS_BROKER_URL``).

Start workers with ``celery -A influencers.jobs.celery_app worker``; they read the
same environment variables as the API (database, secrets).
"""
from __future__ import annotations

from functools import lru_cache

from celery import Celery
from celery.schedules import crontab

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


# The audience retention runs daily when a beat scheduler runs (``celery -A
# influencers.jobs.celery_app beat``); without Celery, cron `influencers privacy enforce-retention`.
app.conf.beat_schedule = {
    **app.conf.beat_schedule,
    "audience-retention": {"task": "influencers.enforce_audience_retention", "schedule": crontab(hour=3, minute=17)},
}


@app.task(name="influencers.enforce_audience_retention")
def enforce_audience_retention_task() -> dict:
    from influencers.privacy.service import enforce_retention

    settings = load_settings()
    with _database(settings.database_url).transaction() as session:
        result = enforce_retention(session, settings.audience_retention_days)
    return {"cutoff": result.cutoff.isoformat(), "samples_deleted": result.samples_deleted,
            "members_deleted": result.members_deleted, "workspaces": result.workspaces}
