"""The reaper: fails jobs whose worker died, so none stays ``queued`` or ``running`` forever.

A job held by a process (queued in its thread pool, or running) has a heartbeat
(see :mod:`influencers.jobs.runner`). When the process is killed, or cannot reach
the database to record the job's outcome, the heartbeat stops; once it is older
than ``job_timeout_seconds`` the reaper fails the job with the reason (and, through
the kind's ``on_failure`` hook, cleans up what the job was working on). A job sent to
Celery that no worker took within ``job_queue_timeout_seconds`` is failed too.

Each API process and each Celery worker runs :func:`start_reaper`; ``influencers jobs
reap`` runs it once. Reaping is one conditional UPDATE per rule, so any number of
reapers can run at once. After reaping it runs the housekeeping the application
registered (:func:`register_maintenance`), each task in a transaction of its own.
"""
from __future__ import annotations

import datetime as dt
import logging
import random
import threading
from collections.abc import Callable

from sqlalchemy import and_, func, or_, update
from sqlalchemy.orm import Session

from influencers.config import Settings
from influencers.db import Database, utcnow
from influencers.jobs import runner
from influencers.jobs.models import Job

log = logging.getLogger(__name__)


# Housekeeping the application hands the reaper (influencers.assembly): task(session), run after
# every reap in every process that reaps. This package knows no domain, so it is told them.
_maintenance: list[Callable[[Session], object]] = []


def register_maintenance(task: Callable[[Session], object]) -> None:
    """Runs ``task(session)`` after every :func:`reap`, in a transaction of its own (once per task)."""
    if task not in _maintenance:
        _maintenance.append(task)


def _maintain(db: Database) -> None:
    for task in list(_maintenance):
        try:
            with db.transaction() as session:
                task(session)
        except Exception:  # the next reap tries again; the jobs are reaped meanwhile
            log.warning("reaper: maintenance %s failed", getattr(task, "__name__", task), exc_info=True)


def reap(db: Database, settings: Settings, now: dt.datetime | None = None) -> list[int]:
    """Fails every stale job, then runs the registered maintenance; returns the failed jobs' ids."""
    now = now or utcnow()
    silent_since = now - dt.timedelta(seconds=settings.job_timeout_seconds)
    waiting_since = now - dt.timedelta(seconds=settings.job_queue_timeout_seconds)
    rules = [
        (or_(Job.heartbeat_at < silent_since,
             # Claimed before heartbeats existed (no heartbeat ever recorded).
             and_(Job.status == "running", Job.heartbeat_at.is_(None),
                  Job.started_at < silent_since)),
         f"The worker holding this job stopped sending heartbeats for more than "
         f"{settings.job_timeout_seconds:g} s: its process was killed or lost the database. "
         f"The job was failed by the reaper; start it again."),
        (and_(Job.status == "queued", Job.heartbeat_at.is_(None),
              func.coalesce(Job.not_before, Job.created_at) < waiting_since),
         f"No worker started this job within {settings.job_queue_timeout_seconds:g} s (is a Celery worker "
         f"consuming queue {settings.job_queue!r}?). The job was failed by the reaper; start it again."),
    ]
    reaped: list[int] = []
    with db.transaction() as session:
        for condition, error in rules:
            jobs = session.execute(
                update(Job).where(Job.status.in_(runner.UNFINISHED), condition)
                .values(status="failed", error=error, finished_at=now, heartbeat_at=None)
                .returning(Job.id, Job.kind)
            ).all()
            if jobs:
                log.warning("reaper: failed jobs %s: %s", [job_id for job_id, _kind in jobs], error)
                runner.fail_jobs(session, settings, [tuple(job) for job in jobs], error)
                reaped += [job_id for job_id, _kind in jobs]
    _maintain(db)
    return sorted(reaped)


def start_reaper(db: Database, settings: Settings, *, stop: threading.Event | None = None) -> threading.Thread:
    """Runs :func:`reap` every ``job_reaper_seconds`` (with jitter) in a daemon thread until ``stop`` is set."""
    stop = stop or threading.Event()

    def loop():
        while not stop.wait(settings.job_reaper_seconds * random.uniform(0.75, 1.25)):
            try:
                reap(db, settings)
            except Exception:  # the database is down: try again next time
                log.warning("reaper: could not reap", exc_info=True)

    thread = threading.Thread(target=loop, name="influencers-job-reaper", daemon=True)
    thread.start()
    return thread


_started: set[str] = set()
_started_lock = threading.Lock()


def start_process_reaper(settings: Settings) -> None:
    """Starts this process's reaper once (gunicorn workers and Celery workers call it), unless disabled (0)."""
    if settings.job_reaper_seconds <= 0:
        return
    with _started_lock:
        if settings.database_url in _started:
            return
        _started.add(settings.database_url)
    start_reaper(Database(settings.database_url), settings)
