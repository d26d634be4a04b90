"""The Celery side of the job runner: the Celery application, sending a job, the task running it.

Infrastructure only: no job kind is known here (the application registers them, see
:mod:`influencers.jobs.runner`). Workers start from :mod:`influencers.jobs.celery_app`,
which assembles the application around this Celery app.
"""
from __future__ import annotations

from functools import lru_cache

from celery import Celery, signals
from kombu import pools

from influencers.config import Settings, load_settings
from influencers.db import Database
from influencers.jobs import runner

_startup = load_settings()

app = Celery("influencers")
app.conf.update(
    broker_url=_startup.broker_url or "memory://",
    task_default_queue=_startup.job_queue,
    # A job survives a worker killed mid-run: the message is acknowledged only
    # after the job has recorded its outcome, and redelivered otherwise; the
    # redelivered task resumes the job (see runner.run_job).
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    broker_connection_retry_on_startup=True,
)


@lru_cache(maxsize=4)
def _database(url: str) -> Database:
    return Database(url)


def _settings() -> Settings:
    return load_settings()


def send(settings: Settings, job_id: int, countdown: float | None = None) -> None:
    """Sends a committed job to the workers of ``settings.job_queue`` (after ``countdown`` seconds).

    Raises (kombu's ``OperationalError``) when ``settings.broker_url`` cannot be reached, after
    Celery's publish retries. The producer comes from kombu's pool of that URL, not the app's
    default one: the app's pool keeps the URL it was first used with.
    """
    connection = app.connection_for_write(settings.broker_url)
    with pools.producers[connection].acquire(block=True) as producer:
        run_job_task.apply_async((job_id,), queue=settings.job_queue, countdown=countdown, producer=producer)


@app.task(name="influencers.run_job", bind=True, max_retries=None)
def run_job_task(self, job_id: int) -> str:
    settings = _settings()
    outcome = runner.run_job(_database(settings.database_url), settings, job_id)
    if outcome == runner.BUSY:
        # Another worker holds the job (a duplicate delivery): come back once its heartbeat
        # would have expired, then either it finished or this delivery resumes it.
        raise self.retry(countdown=settings.job_timeout_seconds)
    return outcome


@signals.worker_process_init.connect
def _fresh_connections_after_fork(**_kwargs) -> None:
    # Connections inherited through fork must not be shared with the parent.
    _database.cache_clear()
