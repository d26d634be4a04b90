"""Runs jobs: on Celery when a broker is configured, else on an in-process thread pool.

A job is a row (its status resource) plus a registered handler
``handler(db, settings, workspace_id, params, report_progress) -> dict``.
Handlers take plain data and open their own transactions, so the same code runs
in a gunicorn worker's thread, a Celery worker or the CLI (``run_now``).
"""
from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Callable

from sqlalchemy import update
from sqlalchemy.orm import Session

from influencers.config import Settings
from influencers.db import Database, utcnow
from influencers.jobs.models import Job

log = logging.getLogger(__name__)

Handler = Callable[..., dict]
HANDLERS: dict[str, Handler] = {}

_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()
# Jobs handed to the in-process pool and not finished yet, so a process (or a test)
# can wait for them before it tears its database down.
_pending: set[Future] = set()


def job_handler(kind: str):
    def register(func: Handler) -> Handler:
        HANDLERS[kind] = func
        return func

    return register


def _load_handlers() -> None:
    # Importing the modules registers their handlers.
    import influencers.scoring.runs  # noqa: F401
    import influencers.brands.rematch  # noqa: F401
    import influencers.webhooks.delivery  # noqa: F401


def enqueue(session: Session, workspace_id: int, kind: str, params: dict) -> int:
    """Adds a queued job to the caller's transaction; dispatch it after the commit."""
    job = Job(workspace_id=workspace_id, kind=kind, params=params, status="queued")
    session.add(job)
    session.flush()
    return job.id


def create_job(db: Database, workspace_id: int, kind: str, params: dict) -> int:
    with db.transaction() as session:
        return enqueue(session, workspace_id, kind, params)


def dispatch(db: Database, settings: Settings, job_id: int) -> None:
    """Hands a committed job to the configured runner."""
    if settings.broker_url:
        from influencers.jobs.celery_app import run_job_task

        run_job_task.delay(job_id)
        return
    global _executor
    with _executor_lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=settings.job_threads, thread_name_prefix="influencers-job")
        future = _executor.submit(run_job, db, settings, job_id)
        _pending.add(future)
    future.add_done_callback(_forget)


def _forget(future: Future) -> None:
    with _executor_lock:
        _pending.discard(future)


def wait_for_in_process_jobs(timeout: float | None = None) -> bool:
    """Waits until every job dispatched to the in-process pool has finished.

    Returns False if some were still running after ``timeout`` seconds.
    """
    with _executor_lock:
        pending = set(_pending)
    _done, not_done = wait(pending, timeout=timeout)
    return not not_done


def submit(db: Database, settings: Settings, workspace_id: int, kind: str, params: dict) -> int:
    job_id = create_job(db, workspace_id, kind, params)
    dispatch(db, settings, job_id)
    return job_id


def run_job(db: Database, settings: Settings, job_id: int) -> None:
    """Executes one job and records its outcome; never raises (the row says what happened)."""
    _load_handlers()
    with db.transaction() as session:
        job = session.get(Job, job_id)
        if job is None or job.status != "queued":
            return
        job.status, job.started_at = "running", utcnow()
        kind, workspace_id, params = job.kind, job.workspace_id, dict(job.params)

    def report_progress(fraction: float) -> None:
        with db.transaction() as session:
            session.execute(update(Job).where(Job.id == job_id).values(progress=min(max(fraction, 0.0), 1.0)))

    try:
        result = HANDLERS[kind](db, settings, workspace_id, params, report_progress)
    except Exception as error:  # the failure is the job's result, visible to its owner
        log.exception("job %s (%s) failed", job_id, kind)
        with db.transaction() as session:
            session.execute(update(Job).where(Job.id == job_id).values(
                status="failed", error=f"{type(error).__name__}: {error}", finished_at=utcnow()))
        return
    with db.transaction() as session:
        session.execute(update(Job).where(Job.id == job_id).values(
            status="succeeded", result=result, progress=1.0, finished_at=utcnow()))


def run_now(db: Database, settings: Settings, workspace_id: int, kind: str, params: dict) -> Job:
    """Creates and runs a job synchronously (the CLI's path), returning its final row."""
    job_id = create_job(db, workspace_id, kind, params)
    run_job(db, settings, job_id)
    with db.session() as session:
        return session.get(Job, job_id)


# Jobs waiting on the in-process runner's timers (dispatch_later), so tests can cancel them.
_timers: set[threading.Timer] = set()


def dispatch_later(db: Database, settings: Settings, job_id: int, delay: float) -> None:
    """Hands a committed job to the configured runner in ``delay`` seconds (a retry).

    On Celery the broker holds it (``countdown``); in process a timer does, so a process
    that stops loses it: ``influencers webhooks retry-due`` dispatches such stragglers.
    """
    if settings.broker_url:
        from influencers.jobs.celery_app import run_job_task

        run_job_task.apply_async((job_id,), countdown=max(delay, 0.0))
        return

    def fire():
        with _executor_lock:
            _timers.discard(timer)
        dispatch(db, settings, job_id)

    timer = threading.Timer(max(delay, 0.0), fire)
    timer.daemon = True
    with _executor_lock:
        _timers.add(timer)
    timer.start()


def cancel_delayed_jobs() -> None:
    """Cancels the in-process timers of dispatch_later (their jobs stay queued)."""
    with _executor_lock:
        timers = list(_timers)
        _timers.clear()
    for timer in timers:
        timer.cancel()


_AFTER_COMMIT = "influencers.jobs_after_commit"


def dispatch_after_commit(session: Session, job_id: int) -> None:
    """Dispatches ``job_id`` once ``session``'s transaction commits (nothing if it rolls back).

    For domain code that holds only a session (e.g. ``webhooks.emit``); the session must
    come from a :class:`Database`, whose ``settings`` (or ``load_settings()``) are used.
    """
    from sqlalchemy import event

    if _AFTER_COMMIT not in session.info:
        session.info[_AFTER_COMMIT] = []
        event.listen(session, "after_commit", _dispatch_committed)
        event.listen(session, "after_rollback", _forget_uncommitted)
    session.info[_AFTER_COMMIT].append(job_id)


def _dispatch_committed(session: Session) -> None:
    job_ids, session.info[_AFTER_COMMIT] = session.info[_AFTER_COMMIT], []
    if not job_ids:
        return
    db = session.info.get("database")
    if db is None:  # a session not made by a Database: the jobs stay queued (retry-due finds deliveries)
        log.error("jobs %s committed by a session without a Database: not dispatched", job_ids)
        return
    settings = db.settings
    if settings is None:
        from influencers.config import load_settings

        settings = load_settings(database_url=db.url)
    for job_id in job_ids:
        try:
            dispatch(db, settings, job_id)
        except Exception:  # noqa: BLE001 -- committed work must not fail for it; the job stays queued
            log.exception("could not dispatch job %s", job_id)


def _forget_uncommitted(session: Session) -> None:
    session.info[_AFTER_COMMIT] = []
