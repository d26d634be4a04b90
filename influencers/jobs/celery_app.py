"""The Celery workers' entry point, for deployments with a broker (``INFLUENCERS_BROKER_URL``).

Start workers with ``celery -A influencers.jobs.celery_app worker``; they read the
same environment variables as the API (database, secrets, ``INFLUENCERS_JOB_QUEUE``).
Like the app factory and the CLI, this module assembles the application (every model
and every job kind, :func:`influencers.assembly.assemble`) around the Celery app of
:mod:`influencers.jobs.broker`; nothing imports it but Celery.
"""
from __future__ import annotations

from celery import signals
from celery.schedules import crontab

from influencers.assembly import assemble
from influencers.config import load_settings
from influencers.jobs.broker import _database, _settings, app, run_job_task, send

__all__ = ["app", "run_job_task", "send"]

assemble()


@signals.worker_ready.connect
def _start_reaper(**_kwargs) -> None:
    from influencers.jobs.reaper import start_process_reaper

    start_process_reaper(_settings())


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
