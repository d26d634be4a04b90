"""Runs jobs: on Celery when a broker is configured, else on an in-process thread pool.

A job is a row (its status resource) plus a registered handler
``handler(db, settings, workspace_id, params, report_progress) -> dict``.
Handlers take plain data and open their own transactions, so the same code runs
in a gunicorn worker's thread, a Celery worker or the CLI (``run_now``).

Registering a kind of job: :func:`register` its handler. The domain packages define
handlers and know nothing of who runs them; the application registers them where it
is assembled (:func:`influencers.assembly.assemble`, called by the app factory, the
Celery app and the CLI), so every process that runs jobs -- a Celery worker included --
knows every kind. ``on_failure(session, settings, job_ids, error)`` is called in the
transaction that fails jobs of that kind behind the handler's back (the reaper, too
many attempts), so what the job was working on can be cleaned up with it.

Liveness: the process holding a job (queued in its pool, or running it) refreshes
the job's ``heartbeat_at`` every ``job_heartbeat_seconds``; :mod:`influencers.jobs.reaper`
fails jobs whose heartbeat stopped. A job is claimed atomically: a redelivered job
whose previous worker died is resumed (up to ``job_max_attempts`` claims), one whose
worker is still alive is reported ``busy`` (Celery retries it later), a finished one
is left alone.
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import func, update
from sqlalchemy.orm import Session

from influencers.config import Settings
from influencers.db import Database, utcnow
from influencers.errors import NotFound
from influencers.jobs.models import Job

log = logging.getLogger(__name__)

Handler = Callable[..., dict]
FailureHook = Callable[[Session, Settings, list, str], None]


@dataclass(frozen=True)
class JobKind:
    handler: Handler
    on_failure: FailureHook | None = None


KINDS: dict[str, JobKind] = {}

# What run_job returns.
SUCCEEDED, FAILED, BUSY, SKIPPED = "succeeded", "failed", "busy", "skipped"
UNFINISHED = ("queued", "running")

_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()
# Jobs handed to the in-process pool and not finished yet, so a process (or a test)
# can wait for them before it tears its database down.
_pending: set[Future] = set()


def register(kind: str, handler: Handler, *, on_failure: FailureHook | None = None) -> None:
    """Makes ``handler`` run the jobs of ``kind`` in this process (registering again replaces it)."""
    KINDS[kind] = JobKind(handler, on_failure)


def job_handler(kind: str, *, on_failure: FailureHook | None = None):
    """:func:`register` as a decorator (for job kinds defined next to their registration)."""
    def decorate(func: Handler) -> Handler:
        register(kind, func, on_failure=on_failure)
        return func

    return decorate


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _died_here(worker: str | None) -> bool:
    """Whether ``worker`` ("host:pid") was a process of this host that no longer exists."""
    host, _, pid = (worker or "").rpartition(":")
    if host != socket.gethostname() or not pid.isdigit() or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return False


def enqueue(session: Session, workspace_id: int, kind: str, params: dict) -> int:
    """Adds a queued job to the caller's transaction; dispatch it after the commit."""
    job = Job(workspace_id=workspace_id, kind=kind, params=params, status="queued")
    session.add(job)
    session.flush()
    return job.id


def create_job(db: Database, workspace_id: int, kind: str, params: dict) -> int:
    with db.transaction() as session:
        return enqueue(session, workspace_id, kind, params)


def get_job(session: Session, workspace_id: int, job_id: int) -> Job:
    job = session.get(Job, job_id)
    if job is None or job.workspace_id != workspace_id:
        raise NotFound(f"No job {job_id} in this workspace.")
    return job


def dispatch(db: Database, settings: Settings, job_id: int, *, in_process_if_broker_down: bool = True) -> None:
    """Hands a committed job to the configured runner.

    When the broker cannot be reached the job runs in this process's pool instead, as without
    a broker, and a warning says so: it neither waits queued until the reaper fails it nor fails
    the request that committed it. ``in_process_if_broker_down=False``: raise instead (a caller
    that runs the job itself).
    """
    if settings.broker_url:
        from influencers.jobs import broker

        try:
            broker.send(settings, job_id)
            return
        except Exception as error:
            if not in_process_if_broker_down:
                raise
            log.warning("job %s: the broker could not be reached (%s: %s); running the job in this process",
                        job_id, type(error).__name__, error)
    _run_in_pool(db, settings, job_id)


def _run_in_pool(db: Database, settings: Settings, job_id: int) -> None:
    global _executor
    _heartbeats.hold(db, job_id, settings.job_heartbeat_seconds)
    with _executor_lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=settings.job_threads, thread_name_prefix="influencers-job")
        future = _executor.submit(_run_held, db, settings, job_id)
        _pending.add(future)
    future.add_done_callback(_forget)


def _run_held(db: Database, settings: Settings, job_id: int) -> str:
    try:
        return run_job(db, settings, job_id)
    finally:
        _heartbeats.release(db, job_id)


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


def fail_jobs(session: Session, settings: Settings, jobs: list[tuple[int, str]], error: str) -> None:
    """Runs the failure hooks of already-failed ``jobs`` ((id, kind) pairs), kind by kind."""
    by_kind: dict[str, list[int]] = {}
    for job_id, kind in jobs:
        by_kind.setdefault(kind, []).append(job_id)
    for kind, ids in by_kind.items():
        job_kind = KINDS.get(kind)
        if job_kind is not None and job_kind.on_failure is not None:
            job_kind.on_failure(session, settings, ids, error)


def _claim(db: Database, settings: Settings, job_id: int) -> tuple[str, Job | None]:
    """Marks the job running for this process: (outcome, the claimed row) -- outcome None if claimed."""
    now = utcnow()
    with db.transaction() as session:
        job = session.get(Job, job_id)
        if job is None or job.status not in UNFINISHED:
            return SKIPPED, None
        if job.status == "running":
            stale = (job.heartbeat_at is None
                     or job.heartbeat_at < now - dt.timedelta(seconds=settings.job_timeout_seconds)
                     or _died_here(job.worker))
            if not stale:
                return BUSY, None
            if job.attempts >= settings.job_max_attempts:
                error = (f"The worker running this job died {job.attempts} times (last {job.worker}): the job "
                         f"is not retried again.")
                failed = session.execute(update(Job).where(
                    Job.id == job_id, Job.status == "running", Job.attempts == job.attempts,
                ).values(status="failed", error=error, finished_at=now))
                if failed.rowcount == 1:
                    fail_jobs(session, settings, [(job_id, job.kind)], error)
                    return FAILED, None
                return BUSY, None
            log.warning("job %s (%s): its worker %s stopped; resuming it", job_id, job.kind, job.worker)
        claimed = session.execute(update(Job).where(
            Job.id == job_id, Job.status == job.status, Job.attempts == job.attempts,
        ).values(status="running", started_at=func.coalesce(Job.started_at, now), heartbeat_at=now,
                 worker=worker_name(), attempts=job.attempts + 1))
        if claimed.rowcount != 1:  # another worker claimed it between our read and our write
            return BUSY, None
        session.refresh(job)
        session.expunge(job)
        return None, job


def run_job(db: Database, settings: Settings, job_id: int) -> str:
    """Executes one job and records its outcome; never raises (the row says what happened).

    Returns ``succeeded``/``failed``, ``busy`` (a live worker holds it: try later) or
    ``skipped`` (no such job, or finished already).
    """
    outcome, job = _claim(db, settings, job_id)
    if job is None:
        return outcome
    attempt = job.attempts
    _heartbeats.hold(db, job_id, settings.job_heartbeat_seconds)
    try:
        return _execute(db, settings, job, attempt)
    finally:
        _heartbeats.release(db, job_id)


def _execute(db: Database, settings: Settings, job: Job, attempt: int) -> str:
    job_id = job.id

    def report_progress(fraction: float) -> None:
        try:
            _write_now(db, update(Job).where(Job.id == job_id).values(progress=min(max(fraction, 0.0), 1.0)))
        except Exception:  # progress is informative: the job goes on without it
            log.info("job %s: progress not recorded now", job_id, exc_info=True)

    try:
        kind = KINDS.get(job.kind)
        if kind is None:
            raise LookupError(f"no handler for jobs of kind {job.kind!r} in this worker")
        result = kind.handler(db, settings, job.workspace_id, dict(job.params), report_progress)
    except Exception as error:  # the failure is the job's result, visible to its owner
        log.exception("job %s (%s) failed", job_id, job.kind)
        message = f"{type(error).__name__}: {error}"
        try:
            _finish(db, settings, job, attempt, status="failed", error=message)
        except Exception:
            # The database is down: the heartbeat stops with this job and the reaper
            # fails it once the database answers again.
            log.exception("job %s: could not record its failure", job_id)
        return FAILED
    try:
        _finish(db, settings, job, attempt, status="succeeded", result=result, progress=1.0)
    except Exception:
        log.exception("job %s: could not record its success", job_id)
        return FAILED
    return SUCCEEDED


def _finish(db: Database, settings: Settings, job: Job, attempt: int, *, status: str, **values) -> None:
    """Records the outcome of this attempt (not of a newer one that took the job over), retrying briefly."""
    for delay in (0.5, 2.0, None):
        try:
            with db.transaction() as session:
                # A handler may have finished its job's row itself, in the transaction that
                # committed its work (a scoring run): that moment stays the job's end.
                done = session.execute(update(Job).where(Job.id == job.id, Job.attempts == attempt).values(
                    status=status, finished_at=func.coalesce(Job.finished_at, utcnow()), heartbeat_at=None,
                    **values))
                if status == "failed" and done.rowcount == 1:
                    fail_jobs(session, settings, [(job.id, job.kind)], values["error"])
            return
        except Exception:
            if delay is None:
                raise
            time.sleep(delay)


# How long a progress or heartbeat write waits for SQLite's write lock.
_SQLITE_QUICK_WRITE_MS = 200


def _write_now(db: Database, statement) -> None:
    """Runs one small write in its own transaction. On SQLite it does not queue behind the
    write lock for long: a job's own import or write phase holds that lock (until its
    commit nobody else could see the write anyway), and the caller skips this beat."""
    if not db.is_sqlite:
        with db.transaction() as session:
            session.execute(statement)
        return
    with db.engine.connect() as connection:
        driver = connection.connection.driver_connection  # PRAGMAs outside any transaction
        usual = driver.execute("PRAGMA busy_timeout").fetchone()[0]
        driver.execute(f"PRAGMA busy_timeout={_SQLITE_QUICK_WRITE_MS}")
        try:
            with connection.execution_options(sqlite_begin_immediate=True).begin():
                connection.execute(statement)
        finally:
            driver.execute(f"PRAGMA busy_timeout={int(usual)}")


@contextmanager
def heartbeat(db: Database, job_id: int, interval: float) -> Iterator[None]:
    """Holds the job's heartbeat during the block: for a job's work done outside :func:`run_job`
    (the CLI running a scoring run itself), so no reaper takes it for dead."""
    _heartbeats.hold(db, job_id, interval)
    try:
        yield
    finally:
        _heartbeats.release(db, job_id)


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
    # The reaper's queue timeout counts from when the job is due, not from its creation.
    try:
        _write_now(db, update(Job).where(Job.id == job_id).values(
            not_before=utcnow() + dt.timedelta(seconds=max(delay, 0.0))))
    except Exception:  # the job is still dispatched; only its queue timeout counts from its creation
        log.warning("job %s: could not record when it is due", job_id, exc_info=True)
    if settings.broker_url:
        from influencers.jobs import broker

        try:
            broker.send(settings, job_id, countdown=max(delay, 0.0))
            return
        except Exception as error:  # the broker is down: this process's timer holds the job (as without one)
            log.warning("job %s: the broker could not be reached (%s: %s); it waits on a timer in this process",
                        job_id, type(error).__name__, error)

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


class _Heartbeats:
    """One thread per process refreshing ``heartbeat_at`` of every job the process holds.

    Jobs are held per (database, job id): ids repeat across databases. The thread wakes
    when a job is held, so a new job's shorter interval is honoured at once.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._held: dict[tuple[int, int], tuple[Database, int, float]] = {}
        self._thread: threading.Thread | None = None

    def hold(self, db: Database, job_id: int, interval: float) -> None:
        self.beat(db, [job_id])
        with self._lock:
            self._held[(id(db), job_id)] = (db, job_id, interval)
            self._wake.set()
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="influencers-job-heartbeat", daemon=True)
                self._thread.start()

    def release(self, db: Database, job_id: int) -> None:
        with self._lock:
            self._held.pop((id(db), job_id), None)

    @staticmethod
    def beat(db: Database, job_ids: list[int]) -> None:
        try:
            _write_now(db, update(Job).where(Job.id.in_(job_ids), Job.status.in_(UNFINISHED))
                       .values(heartbeat_at=utcnow()))
        except Exception:  # the database is down (or busy): the reaper decides once it is back
            log.warning("could not record the heartbeat of jobs %s", job_ids, exc_info=True)

    def _loop(self) -> None:
        last_beat = time.monotonic()
        while True:
            with self._lock:
                if not self._held:
                    self._thread = None
                    return
                interval = min(interval for _db, _job_id, interval in self._held.values())
                self._wake.clear()
            # Due one interval after the last beat, however often jobs are held meanwhile.
            if self._wake.wait(max(last_beat + interval - time.monotonic(), 0.0)):
                continue
            last_beat = time.monotonic()
            with self._lock:
                by_db: dict[int, tuple[Database, list[int]]] = {}
                for db, job_id, _interval in self._held.values():
                    by_db.setdefault(id(db), (db, []))[1].append(job_id)
            for db, ids in by_db.values():
                self.beat(db, ids)


_heartbeats = _Heartbeats()
