"""Scoring runs: load a workspace's inputs once, score vectorised, write the scores in bulk.

Used by the API (as a background job answering 202) and by ``influencers score``
(synchronously). The math lives in :mod:`influencers.scoring.score`.
"""
from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack, contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from influencers.columnar import columnar_reads
from influencers.config import Settings, load_settings, scoring_chunk_size, scoring_worker_min_creators
from influencers.creators.models import Creator
from influencers.db import Database, json_fragments, utcnow
from influencers.errors import DomainError
from influencers.gcpause import gc_paused
from influencers.graph.service import scoring_graph_signals
from influencers.jobs import runner
from influencers.jobs.models import Job
from influencers.overlap.sketch import DEFAULT_LG_K, DEFAULT_SEED
from influencers.scoring import chunked_run, fan_out, recalibration
from influencers.scoring.active_model import active_model, active_scoring_model
from influencers.scoring.audience_pass import LocalAudiencePass
from influencers.scoring.audience_worker import (
    AudienceWorker,
    AudienceWorkerError,
    begin_snapshot,
    can_use_worker,
)
from influencers.scoring.inputs import ScoringInputs
from influencers.scoring.loader import load_inputs
from influencers.scoring.model import ScoringModel
from influencers.scoring.score import (
    ScoringResult,
    activity_signals,
    engagement_explanations,
    score_creators,
)
from influencers.scoring.sketch_store import store_sketch_batch
from influencers.scoring.store import ScoringModelVersion, ScoringRun
from influencers.scoring.writes import (
    ExplanationSpool,
    ScoreRows,
    lock_workspace_scores,
    newer_run_succeeded,
    score_rows,
    write_audience_shares,
    write_scores,
)
from influencers.webhooks import emit

# Below this many creators the planner does fine without fresh statistics.
STATISTICS_THRESHOLD = 1000


def create_run(db: Database, workspace_id: int) -> int:
    """A queued run to execute in this process (:func:`execute_run`): its job is never dispatched."""
    with db.transaction() as session:
        return _add_run(session, workspace_id).id


def queue_run(session: Session, workspace_id: int) -> tuple[int, int]:
    """Adds a queued run and its job to the caller's transaction; returns (run id, job id).

    The caller dispatches the job once its transaction has committed (a worker
    must be able to read the rows), see ``unit_of_work.after_commit``.
    """
    run = _add_run(session, workspace_id)
    return run.id, run.job_id


def _add_run(session: Session, workspace_id: int) -> ScoringRun:
    """A run and the job row holding its status (every run has one, dispatched or not)."""
    model = active_model(session, workspace_id)
    job_id = runner.enqueue(session, workspace_id, "score", {})
    run = ScoringRun(workspace_id=workspace_id, job_id=job_id, model_id=model.id, model_version=model.version)
    session.add(run)
    session.flush()
    run.job.params = {"run_id": run.id}
    session.flush()
    return run


def _set_job(session: Session, run_id: int, *conditions, **values) -> int:
    """Writes the run's status, error or times: on its job's row (if ``conditions`` hold); returns
    how many rows (1 or 0)."""
    return session.execute(update(Job).where(Job.id == select(ScoringRun.job_id).where(ScoringRun.id == run_id)
                                             .scalar_subquery(), *conditions).values(**values)).rowcount


def score_job(db: Database, settings: Settings, workspace_id: int, params: dict, report_progress) -> dict:
    return execute_run(db, workspace_id, params["run_id"], report_progress,
                       worker_min_creators=settings.scoring_worker_min_creators,
                       chunk_size=settings.scoring_chunk_size, settings=settings)


# execute_run's default for ``worker_min_creators``: the INFLUENCERS_SCORING_WORKER_MIN_CREATORS setting.
FROM_SETTINGS = "from settings"


def execute_run(db: Database, workspace_id: int, run_id: int,
                report_progress: Callable[[float], None] | None = None, *,
                worker_min_creators: int | None | str = FROM_SETTINGS,
                chunk_size: int | None | str = FROM_SETTINGS, settings: Settings | None = None) -> dict:
    """Runs a queued scoring run to completion (or records its failure and re-raises).

    The audience pass (:mod:`influencers.scoring.audience_pass`) runs in a worker
    process (:mod:`influencers.scoring.audience_worker`) on the run's snapshot when the
    workspace has at least ``worker_min_creators`` creators (``None``: never; default:
    the ``INFLUENCERS_SCORING_WORKER_MIN_CREATORS`` setting), else in this process. Both
    give the same result. A workspace of more than ``chunk_size`` creators (default: the
    ``INFLUENCERS_SCORING_CHUNK_SIZE`` setting; ``None``: never) is scored that many
    creators at a time (:mod:`influencers.scoring.chunked_run`), with the same result; with
    a broker in ``settings`` (default: the database's settings) on PostgreSQL, its chunks run
    on the Celery workers too (:mod:`influencers.scoring.fan_out`).
    """
    progress = report_progress or (lambda _fraction: None)
    if worker_min_creators == FROM_SETTINGS:
        worker_min_creators = scoring_worker_min_creators()
    if chunk_size == FROM_SETTINGS:
        chunk_size = scoring_chunk_size()
    run = _start(db, workspace_id, run_id, worker_min_creators)
    if chunk_size is not None and run.n_creators > chunk_size:
        return _execute_chunked(run, chunk_size, progress, settings or db.settings)
    try:
        # Millions of acyclic objects (rows, explanation dicts): see influencers.gcpause.
        with gc_paused(), _audience_worker(run) as worker:
            inputs, graph = _read(run, worker)
            progress(0.4)
            audience = worker if worker is not None else LocalAudiencePass(inputs, run.model, run.sketch_model)
            with _RunWrite(run, audience, early=worker is not None and not db.is_sqlite) as write:
                result, rows = _compute(run, inputs, graph, audience, write.spool)
                progress(0.7)
                write.finish(result, rows, inputs.creator_ids)
    except Exception as error:
        _record_failure(run, error)
        raise
    # Not in the stored timings (they are written in the transaction this commits).
    run.timings["commit_seconds"] = round(time.perf_counter() - write.committing, 3)
    _refresh_statistics(run, result.n_creators)
    return {"run_id": run_id, "creators_scored": result.n_creators, "model_version": run.model.version,
            "superseded": not write.current, **run.timings}


@dataclass
class _Run:
    """A run being executed: what its phases share."""

    db: Database
    workspace_id: int
    run_id: int
    model: ScoringModel
    model_version: str
    classifier: object | None  # a trained version's classifier (influencers.calibration.apply)
    sketch_model: ScoringModel
    use_worker: bool
    n_creators: int = 0
    # How many times the run's job had been claimed when this delivery started (0: never, the CLI):
    # a later delivery's claim takes the run over, and this one then writes nothing.
    attempt: int = 0
    timings: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def timed(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        yield
        self.timings[name] = round(time.perf_counter() - started, 3)


@dataclass
class _GraphSignals:
    centrality: np.ndarray  # PageRank percentile per platform
    pods: dict              # comment-pod clusters


def _start(db: Database, workspace_id: int, run_id: int, worker_min_creators: int | None) -> _Run:
    """Marks the run running; its model, classifier and sketch model, and whether a worker
    process computes the audience pass."""
    with db.transaction() as session:
        record = session.get(ScoringRun, run_id)
        # Through the runner the job is running already; run directly (the CLI), it starts now.
        record.job.status, record.job.started_at = "running", record.job.started_at or utcnow()
        model_record = session.get(ScoringModelVersion, record.model_id)
        # A trained version's classifier (None for a hand-set one); a changed artefact fails the run.
        classifier = recalibration.load(session, model_record)
        # The overlap sketches count the members the workspace's active model calls
        # authentic (as build_sketches does); usually the run's own model.
        sketch_model, _version = active_scoring_model(session, workspace_id)
        n_creators = session.scalar(select(func.count()).select_from(Creator).where(
            Creator.workspace_id == workspace_id))
        attempt = record.job.attempts
    use_worker = worker_min_creators is not None and n_creators >= worker_min_creators and can_use_worker(db)
    return _Run(db, workspace_id, run_id, ScoringModel.from_dict(model_record.parameters), model_record.version,
                classifier, sketch_model, use_worker, n_creators, attempt=attempt)


def _audience_worker(run: _Run):
    """The audience pass's worker process (a context manager), or a null context without one."""
    if not run.use_worker:
        return nullcontext()
    return AudienceWorker(run.db, run.workspace_id, lg_k=DEFAULT_LG_K, seed=DEFAULT_SEED)


def _read(run: _Run, worker: AudienceWorker | None) -> tuple[ScoringInputs, _GraphSignals]:
    """The run's inputs (without the audience when a worker reads it) and its graph signals,
    on one snapshot, which the worker shares."""
    started = time.perf_counter()
    with run.db.transaction(write=False) as session:
        begin_snapshot(session)
        if worker is not None:
            # Before the run's first read: on SQLite that read starts the shared snapshot.
            # The worker adopts it once it has started; the run reads on meanwhile.
            worker.start_sharing_snapshot(session, model=run.model.to_dict(),
                                          sketch_model=run.sketch_model.to_dict())
        with columnar_reads(session):
            inputs = load_inputs(session, run.workspace_id, audience=worker is None)
        run.timings["read_seconds"] = round(time.perf_counter() - started, 3)
        with run.timed("graph_seconds"):
            centrality, pods = scoring_graph_signals(session, run.workspace_id, inputs.creator_ids, inputs.platform)
        if worker is not None:
            worker.wait_snapshot_shared()  # the snapshot lives as long as this transaction
    return inputs, _GraphSignals(centrality, pods)


def _compute(run: _Run, inputs: ScoringInputs, graph: _GraphSignals, audience, spool: ExplanationSpool
             ) -> tuple[ScoringResult, ScoreRows]:
    """The scores and their rows (explanations into ``spool``). With a worker, engagement, the
    activity flags and the explanations' engagement sections are computed while its audience
    pass still runs."""
    started = time.perf_counter()
    activity = activity_signals(inputs, run.model, graph.pods)
    engagement_sections = json_fragments(engagement_explanations(inputs, activity))
    waiting = time.perf_counter()
    audience_result = audience.audience()
    if run.use_worker:
        run.timings["audience_wait_seconds"] = round(time.perf_counter() - waiting, 3)
        if not np.array_equal(audience.creator_ids, inputs.creator_ids):
            raise AudienceWorkerError("the audience worker read other creators than the run")
    result = score_creators(inputs, run.model, centrality=graph.centrality, pods=graph.pods,
                            audience=audience_result, activity=activity)
    patches = None
    if run.classifier is not None:
        result, patches = recalibration.apply(result, run.classifier, run.model_version)
    if not run.use_worker:
        audience.precompute()  # not inside the write transaction, which holds the write lock
    rows = score_rows(run.workspace_id, run.run_id, result, engagement_sections, patches, spool=spool)
    run.timings["compute_seconds"] = round(
        time.perf_counter() - started - run.timings.get("audience_wait_seconds", 0), 3)
    return result, rows


class _RunWrite:
    """The run's write: scores, audience shares, the overlap sketches of the latest samples and
    the run's status land in one transaction, so a run that says "succeeded" has all of them.

    ``early`` (PostgreSQL with a worker): the transaction begins on entering, and a thread has
    the server store the audience shares as soon as the worker hands them over (they do not
    depend on the classification: the worker sends them first) while the run computes the
    scores. Otherwise (SQLite: the write transaction holds the database's only write lock) it
    begins in :meth:`finish`, once everything is computed.
    """

    def __init__(self, run: _Run, audience, *, early: bool):
        self.run, self.audience, self.early = run, audience, early
        self._stack = ExitStack()
        self.session: Session | None = None
        self.current = True
        self.committing = 0.0
        self._shares_written: Future | None = None
        self.spool = self._stack.enter_context(ExplanationSpool())

    def __enter__(self) -> _RunWrite:
        if self.early:
            self._begin()
            self._shares_written = self._stack.enter_context(_in_thread(self._write_shares))
        return self

    def __exit__(self, *exc) -> bool:
        return self._stack.__exit__(*exc)

    def _begin(self) -> None:
        self.session, self.current = self._stack.enter_context(
            _write_transaction(self.run.db, self.run.workspace_id, self.run.run_id, self.run.attempt))

    def _write_shares(self) -> None:
        """:func:`write_audience_shares` of the pass's shares when the run is the current one."""
        if self.current:
            with self.run.timed("write_shares_seconds"):
                write_audience_shares(self.session, self.run.workspace_id, self.audience.shares())

    def finish(self, result: ScoringResult, rows: ScoreRows, creator_ids: np.ndarray) -> None:
        """Writes everything and marks the run succeeded; the transaction commits on leaving."""
        run, timings = self.run, self.run.timings
        if self.early:
            with run.timed("shares_wait_seconds"):
                self._shares_written.result()
        else:
            self._begin()
        started = time.perf_counter()
        with run.timed("write_scores_seconds"):
            write_scores(self.session, run.workspace_id, run.run_id, rows, current=self.current)
        if not self.early:
            self._write_shares()
        timings["write_seconds"] = round(time.perf_counter() - started, 3)
        with run.timed("sketch_seconds"):
            if self.current:
                store_sketch_batch(self.session, run.workspace_id, self.audience.sketches(), creator_ids)
        timings.update(self.audience.timings, audience_worker=run.use_worker)
        self.session.execute(update(ScoringRun).where(ScoringRun.id == run.run_id).values(
            creators_scored=result.n_creators, timings=timings, superseded=not self.current))
        _set_job(self.session, run.run_id, status="succeeded", finished_at=utcnow(), progress=1.0)
        _announce(self.session, run.workspace_id, run.run_id)
        self.committing = time.perf_counter()


def _execute_chunked(run: _Run, chunk_size: int, progress: Callable[[float], None],
                     settings: Settings | None) -> dict:
    """:func:`execute_run` a range of creators at a time (:mod:`influencers.scoring.chunked_run`):
    both passes on one snapshot, each range's rows staged in temporary files, all of them
    written in one transaction at the end. With a broker (:func:`fan_out.fans_out`) the
    ranges are scored by the workers and this process (:func:`fan_out.run_chunks`)."""
    run.use_worker = False
    with ExitStack() as stack:
        try:
            stack.enter_context(gc_paused())
            staging = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="influencers-chunks-")))
            staged: list[chunked_run.StagedChunk] = []
            started = time.perf_counter()
            with run.db.transaction(write=False) as session:
                begin_snapshot(session)
                with columnar_reads(session):
                    first = chunked_run.first_pass(session, run.workspace_id, run.model, run.sketch_model, chunk_size,
                                                   staging)
                    run.timings["first_pass_seconds"] = round(time.perf_counter() - started, 3)
                    progress(0.3)
                    with run.timed("compute_seconds"):
                        n_chunks = len(first.plan.ranges)
                        if fan_out.fans_out(run.db, settings):
                            staged, scored_here = fan_out.run_chunks(
                                run.db, settings, session, run.workspace_id, run.run_id, first, run.sketch_model,
                                staging, progress, attempt=run.attempt)
                            for chunk in staged:
                                stack.callback(chunk.explanations.close)
                            run.timings["chunks_scored_by_other_workers"] = n_chunks - scored_here
                        else:
                            for k in range(n_chunks):
                                staged.append(chunked_run.score_chunk(
                                    session, run.workspace_id, run.run_id, first, k, run.model, run.sketch_model,
                                    run.classifier, run.model_version, staging))
                                stack.callback(staged[-1].explanations.close)
                                progress(0.3 + 0.5 * (k + 1) / n_chunks)
            run.timings["chunks"] = n_chunks
            n_creators = len(first.plan.creator_ids)
            with _write_transaction(run.db, run.workspace_id, run.run_id, run.attempt) as (session, current):
                with run.timed("write_seconds"):
                    for k, chunk in enumerate(staged):
                        write_scores(session, run.workspace_id, run.run_id, chunk.rows(), current=current,
                                     retire_current=k == 0)
                        if current:
                            write_audience_shares(session, run.workspace_id, chunk.shares(), chunk.id_range)
                            store_sketch_batch(session, run.workspace_id, chunk.sketches(), chunk.creator_ids)
                fan_out.discard_staged(session, [run.run_id])
                session.execute(update(ScoringRun).where(ScoringRun.id == run.run_id).values(
                    creators_scored=n_creators, timings=run.timings, superseded=not current))
                _set_job(session, run.run_id, status="succeeded", finished_at=utcnow(), progress=1.0)
                _announce(session, run.workspace_id, run.run_id)
        except Exception as error:
            _record_failure(run, error)
            raise
    _refresh_statistics(run, n_creators)
    return {"run_id": run.run_id, "creators_scored": n_creators, "model_version": run.model.version,
            "superseded": not current, **run.timings}


def _record_failure(run: _Run, error: Exception) -> None:
    with run.db.transaction() as session:
        if not _set_job(session, run.run_id, Job.attempts == run.attempt, Job.status.in_(runner.UNFINISHED),
                        status="failed", error=f"{type(error).__name__}: {error}", finished_at=utcnow()):
            return  # a later delivery holds the run (what is staged is its), or the reaper failed it
        # After the job's row: a chunk writing its rows holds that row until it commits.
        fan_out.discard_staged(session, [run.run_id])
        _announce(session, run.workspace_id, run.run_id)


def _refresh_statistics(run: _Run, n_creators: int) -> None:
    """Discovery plans its searches on these tables' statistics."""
    if n_creators >= STATISTICS_THRESHOLD:
        with run.timed("statistics_seconds"):
            run.db.refresh_statistics(("creator_scores", "audience_shares", "audience_sketches"), vacuum=True)


def _announce(session: Session, workspace_id: int, run_id: int) -> None:
    """The ``scoring_run.succeeded``/``failed`` webhook event, in the transaction that ends the run."""
    run = session.execute(select(Job.status, ScoringRun.model_version, ScoringRun.creators_scored,
                                 ScoringRun.superseded, Job.started_at, Job.finished_at, Job.error)
                          .join(Job, Job.id == ScoringRun.job_id).where(ScoringRun.id == run_id)).one()
    emit(session, workspace_id, f"scoring_run.{run.status}", {"scoring_run": {"id": run_id, **run._asdict()}})


def score_workspace(db: Database, workspace_id: int) -> int:
    """Synchronous scoring run (the CLI): returns the run id."""
    run_id = create_run(db, workspace_id)
    execute_run_here(db, workspace_id, run_id)
    return run_id


def execute_run_here(db: Database, workspace_id: int, run_id: int, **options) -> dict:
    """:func:`execute_run` in this process with its job's heartbeat held (the CLI's runs: a
    reaper of a server on the same database must not take the run's job for dead)."""
    with db.transaction(write=False) as session:
        job_id = session.scalar(select(ScoringRun.job_id).where(ScoringRun.id == run_id))
    with runner.heartbeat(db, job_id, (db.settings or load_settings()).job_heartbeat_seconds):
        return execute_run(db, workspace_id, run_id, **options)


class RunNotHeld(DomainError):
    """The run's job was claimed by a later delivery (or failed) meanwhile: this one writes nothing."""


@contextmanager
def _write_transaction(db: Database, workspace_id: int, run_id: int, attempt: int
                       ) -> Iterator[tuple[Session, bool]]:
    """The run's write transaction, with the workspace's scores lock and the run's job row locked
    (raises :class:`RunNotHeld` unless this delivery, claim ``attempt``, still holds the run):
    (session, whether this run's scores become the current ones)."""
    with db.transaction() as session:
        lock_workspace_scores(session, workspace_id)
        # At-least-once delivery: two deliveries of one run may both reach this point (the first
        # was taken for dead). Only the one holding the latest claim writes, so one result is stored.
        job = session.execute(select(Job.status, Job.attempts).join(ScoringRun, ScoringRun.job_id == Job.id)
                              .where(ScoringRun.id == run_id).with_for_update(of=Job)).one()
        if job.status != "running" or job.attempts != attempt:
            raise RunNotHeld(f"scoring run {run_id} is no longer this delivery's to write: its job is {job.status}, "
                             f"claimed {job.attempts} time(s), this delivery was claim {attempt}")
        # Runs of one workspace may overlap (the API, the CLI, a retry): the newest
        # run's scores are the current ones, whichever finishes last. An older run
        # finishing after a newer one keeps its scores as history only.
        yield session, not newer_run_succeeded(session, workspace_id, run_id)


@contextmanager
def _in_thread(function: Callable, *args) -> Iterator[Future]:
    """Runs ``function(*args)`` in a thread; the block gets its future. Leaving the block
    waits for the thread in every case (it may be using the block's database session)."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="scoring-run") as executor:
        yield executor.submit(function, *args)
