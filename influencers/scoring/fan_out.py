"""A chunked run's chunks on several Celery workers (PostgreSQL with a broker).

The run's job is the coordinator (:func:`run_chunks`, called by
:mod:`influencers.scoring.runs` after the first pass). It hands its chunks out and gathers
them; docs/fan-out.md says why each step is so:

1. it exports its transaction's snapshot (``pg_export_snapshot``), stages the first pass
   (a typed blob, :mod:`influencers.scoring.typed_blob`) and what a chunk needs besides
   (the snapshot id, the sketch model) in ``scoring_staged_blobs``, adds one job of kind
   :data:`CHUNK_JOB` per chunk and sends them to the broker;
2. it runs the chunks no worker has claimed itself, last to first while the workers take
   them first to first, so a run never waits on a chunk nobody runs (a single-slot worker
   cannot deadlock on its own subtasks); its transaction, and so the snapshot, stays open
   until every chunk has finished;
3. a chunk job (:func:`score_chunk_job`, anywhere) reads the first pass, adopts the
   snapshot (``SET TRANSACTION SNAPSHOT``), scores its range and stages its rows as blobs
   keyed by (run, chunk), replacing any of an earlier delivery: a chunk run twice stores
   one copy;
4. once every chunk job succeeded, :func:`gather` reads the blobs back for the run's one
   write transaction (which deletes them). A chunk job that failed, or whose worker stopped
   sending heartbeats, fails the run, which then writes nothing.

Each chunk's status, heartbeat and error are its job's row (the reaper fails a stuck one),
as the run's are its own job's.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import os
import socket
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.orm import Session

from influencers.columnar import columnar_reads, set_transaction_snapshot
from influencers.config import Settings
from influencers.db import Database, utcnow
from influencers.errors import DomainError
from influencers.jobs import runner
from influencers.jobs.models import Job
from influencers.scoring import chunked_run, recalibration, typed_blob
from influencers.scoring.audience_worker import begin_snapshot
from influencers.scoring.model import ScoringModel
from influencers.scoring.store import ScoringModelVersion, ScoringRun, StagedBlob
from influencers.scoring.writes import ExplanationSpool

log = logging.getLogger(__name__)

CHUNK_JOB = "score_chunk"
# ``StagedBlob.chunk`` of what the whole run shares (the first pass, the coordination).
RUN_WIDE = -1
# The layout of the JSON and raw blobs below (typed blobs carry typed_blob.FORMAT_VERSION).
_BLOB_FORMAT = 1
# How often the coordinator looks at its chunk jobs while other workers run them.
_POLL_SECONDS = 0.1


class ChunkFailed(DomainError):
    """A chunk of a fanned-out run failed or was lost: the run fails with this message."""


def fans_out(db: Database, settings: Settings | None) -> bool:
    """Whether a chunked run hands its chunks to workers: with a broker, on PostgreSQL (a
    snapshot other processes can adopt while writers go on; see docs/fan-out.md for SQLite)."""
    return settings is not None and bool(settings.broker_url) and not db.is_sqlite


def _put(session: Session, run_id: int, chunk: int, name: str, data: bytes, version: int = _BLOB_FORMAT) -> None:
    session.execute(delete(StagedBlob).where(StagedBlob.run_id == run_id, StagedBlob.chunk == chunk,
                                             StagedBlob.name == name))
    session.add(StagedBlob(run_id=run_id, chunk=chunk, name=name, format_version=version, data=data))


def _get(session: Session, run_id: int, chunk: int, names: tuple[str, ...]) -> dict[str, bytes]:
    rows = session.execute(select(StagedBlob.name, StagedBlob.format_version, StagedBlob.data).where(
        StagedBlob.run_id == run_id, StagedBlob.chunk == chunk, StagedBlob.name.in_(names))).all()
    found = {name: (version, bytes(data)) for name, version, data in rows}
    missing = [name for name in names if name not in found]
    if missing:
        raise ChunkFailed(f"scoring run {run_id}: chunk {chunk}'s staged {', '.join(missing)} not found")
    for name, (version, _data) in found.items():
        expected = typed_blob.FORMAT_VERSION if name == "first_pass" else _BLOB_FORMAT
        if version != expected:
            raise ChunkFailed(f"scoring run {run_id}: staged {name} of format {version}, this code reads {expected}")
    return {name: data for name, (_version, data) in found.items()}


def discard_staged(session: Session, run_ids) -> None:
    """Deletes what runs staged (in the transaction that ends them)."""
    session.execute(delete(StagedBlob).where(StagedBlob.run_id.in_(list(run_ids))))


def discard_staged_of_jobs(session: Session, job_ids: list[int]) -> None:
    """:func:`discard_staged` of the runs of ``job_ids`` (runs failed behind their backs: the
    reaper, a coordinator that died)."""
    discard_staged(session, session.scalars(select(ScoringRun.id).where(ScoringRun.job_id.in_(job_ids))).all())


def run_chunks(db: Database, settings: Settings, session: Session, workspace_id: int, run_id: int,
               first: chunked_run.FirstPass, sketch_model: ScoringModel, staging: Path,
               progress: Callable[[float], None], *, attempt: int = 0) -> tuple[list[chunked_run.StagedChunk], int]:
    """Scores the chunks of ``first`` on the workers and here (see the module docstring):
    the chunks staged in ``staging``, and how many of them this process scored. ``session``:
    the coordinator's transaction, on the snapshot of the first pass, open until this returns.
    ``attempt``: the claim of the run's job this coordinator holds; chunk jobs of another claim
    (an earlier delivery of the run, taken for dead) score and stage nothing."""
    snapshot = session.execute(text("SELECT pg_export_snapshot()")).scalar_one()
    n_chunks = len(first.plan.ranges)
    with db.transaction() as write:
        _abandon_earlier_delivery(write, run_id, attempt)
        discard_staged(write, [run_id])
        job_ids = [runner.enqueue(write, workspace_id, CHUNK_JOB, {"run_id": run_id, "chunk": k, "attempt": attempt})
                   for k in range(n_chunks)]
        coordination = {"snapshot": snapshot, "sketch_model": sketch_model.to_dict(), "chunk_jobs": job_ids,
                        "host": socket.gethostname(), "staging": str(staging)}
        _put(write, run_id, RUN_WIDE, "first_pass", typed_blob.encode(first), typed_blob.FORMAT_VERSION)
        _put(write, run_id, RUN_WIDE, "coordination", json.dumps(coordination).encode())
    scored_here = 0
    try:
        for job_id in job_ids:
            try:
                runner.dispatch(db, settings, job_id, in_process_if_broker_down=False)
            except Exception:  # noqa: BLE001 -- the broker is down: this chunk and the rest are scored here
                log.warning("scoring run %s: chunk jobs from %s on not sent to the broker: this process scores "
                            "them", run_id, job_id, exc_info=True)
                break
        shown = -1
        _check(db, settings, run_id, job_ids)
        for k in reversed(range(n_chunks)):
            if runner.run_job(db, settings, job_ids[k]) == runner.SUCCEEDED:  # else a worker has it
                scored_here += 1
            # Also raises for a chunk that failed elsewhere, before this process scores another.
            shown = _show_progress(db, settings, run_id, job_ids, progress, shown)
        # Then the chunks other workers hold: the run's progress moves as each of them finishes.
        while shown < n_chunks:
            time.sleep(_POLL_SECONDS)
            shown = _show_progress(db, settings, run_id, job_ids, progress, shown)
    except BaseException as error:
        _abandon(db, job_ids, f"scoring run {run_id} failed: {type(error).__name__}: {error}")
        raise
    finally:
        _decoded.clear()  # this process's copy of the first pass: the run has it already
    return gather(db, run_id, first.plan, staging), scored_here


def _show_progress(db: Database, settings: Settings, run_id: int, job_ids: list[int],
                   progress: Callable[[float], None], shown: int) -> int:
    """How many chunk jobs succeeded (raises as :func:`_succeeded`), reported as the run's progress
    when it is not ``shown`` (the count reported last)."""
    done = _succeeded(db, settings, run_id, job_ids)
    if done != shown:
        progress(0.3 + 0.5 * done / len(job_ids))
    return done


def _check(db: Database, settings: Settings, run_id: int, job_ids: list[int]) -> bool:
    """Whether every chunk job succeeded; raises as :func:`_succeeded` does."""
    return _succeeded(db, settings, run_id, job_ids) == len(job_ids)


def _succeeded(db: Database, settings: Settings, run_id: int, job_ids: list[int]) -> int:
    """How many chunk jobs succeeded; raises :class:`ChunkFailed` for one that failed or whose
    worker stopped sending heartbeats (the reaper's rule)."""
    with db.transaction(write=False) as session:
        jobs = session.execute(select(Job.id, Job.status, Job.error, Job.heartbeat_at, Job.worker)
                               .where(Job.id.in_(job_ids))).all()
    silent_since = utcnow() - dt.timedelta(seconds=settings.job_timeout_seconds)
    chunk_of = {job_id: k for k, job_id in enumerate(job_ids)}
    for job in sorted(jobs, key=lambda j: chunk_of[j.id]):
        k = chunk_of[job.id]
        if job.status == "failed":
            raise ChunkFailed(f"chunk {k} of {len(job_ids)} (job {job.id}) failed: {job.error}")
        if job.status == "running" and job.heartbeat_at is not None and job.heartbeat_at < silent_since:
            raise ChunkFailed(f"chunk {k} of {len(job_ids)} (job {job.id}) was lost: its worker {job.worker} "
                              f"sent no heartbeat for more than {settings.job_timeout_seconds:g} s")
    if len(jobs) != len(job_ids):
        raise ChunkFailed(f"scoring run {run_id}: chunk jobs were deleted")
    return sum(job.status == "succeeded" for job in jobs)


def _abandon_earlier_delivery(session: Session, run_id: int, attempt: int) -> None:
    """Fails the chunk jobs an earlier delivery of the run's coordinator queued and no worker has
    started (their snapshot died with it; this delivery scores every chunk again)."""
    coordination = session.scalar(select(StagedBlob.data).where(
        StagedBlob.run_id == run_id, StagedBlob.chunk == RUN_WIDE, StagedBlob.name == "coordination"))
    if coordination is not None:
        earlier = json.loads(bytes(coordination)).get("chunk_jobs", [])
        session.execute(update(Job).where(Job.id.in_(earlier), Job.status == "queued").values(
            status="failed", error=_superseded(run_id, attempt), finished_at=utcnow()))


def _superseded(run_id: int, attempt: int) -> str:
    return (f"scoring run {run_id}'s coordinator was delivered again (claim {attempt}) and scores every chunk "
            f"itself: this chunk of an earlier delivery is not scored")


def _abandon(db: Database, job_ids: list[int], error: str) -> None:
    """Fails the chunk jobs no worker has started (a delivery of one then does nothing)."""
    with db.transaction() as session:
        session.execute(update(Job).where(Job.id.in_(job_ids), Job.status == "queued").values(
            status="failed", error=error, finished_at=utcnow()))


def score_chunk_job(db: Database, settings: Settings, workspace_id: int, params: dict, report_progress) -> dict:
    """The :data:`CHUNK_JOB` handler: scores chunk ``params["chunk"]`` of run ``params["run_id"]``
    on the coordinator's snapshot and stages its rows (see the module docstring)."""
    run_id, k = int(params["run_id"]), int(params["chunk"])
    with db.transaction(write=False) as session:
        run = session.get(ScoringRun, run_id)
        if run is None or run.workspace_id != workspace_id:
            raise ChunkFailed(f"no scoring run {run_id} in this workspace")
        if run.status != "running":
            raise ChunkFailed(f"scoring run {run_id} is {run.status}: its chunk {k} is not scored")
        attempt = params.get("attempt")
        if attempt is not None and run.job.attempts != attempt:
            raise ChunkFailed(_superseded(run_id, run.job.attempts))
        coordination = json.loads(_get(session, run_id, RUN_WIDE, ("coordination",))["coordination"])
        model_record = session.get(ScoringModelVersion, run.model_id)
        model = ScoringModel.from_dict(model_record.parameters)
        model_version = model_record.version
        classifier = recalibration.load(session, model_record)
    try:
        return _score_and_stage(db, workspace_id, run_id, k, coordination, model, model_version, classifier, attempt)
    finally:
        _forget_first_pass_unless_needed(db, coordination)


def _score_and_stage(db: Database, workspace_id: int, run_id: int, k: int, coordination: dict,
                     model: ScoringModel, model_version: str, classifier, attempt: int | None) -> dict:
    with db.transaction(write=False) as session:
        first = _first_pass(session, db, run_id, coordination["snapshot"])
    sketch_model = ScoringModel.from_dict(coordination["sketch_model"])
    with tempfile.TemporaryDirectory(prefix="influencers-chunk-") as directory:
        here = Path(directory)
        _take_staged_inputs(coordination, k, here)
        with db.transaction(write=False) as session:
            begin_snapshot(session)
            session.execute(text(set_transaction_snapshot(coordination["snapshot"])))
            with columnar_reads(session):
                chunk = chunked_run.score_chunk(session, workspace_id, run_id, first, k, model, sketch_model,
                                                classifier, model_version, here)
        try:
            blobs = {
                "scores": chunk.columns_path.read_bytes(),
                "explanations": chunk.explanations.encoded(),
                "shares": chunk.shares_path.read_bytes(),
                "sketches": chunk.sketches_path.read_bytes(),
                "creator_ids": np.asarray(chunk.creator_ids, dtype="<i8").tobytes(),
            }
        finally:
            chunk.explanations.close()
    with db.transaction() as session:
        # The run's row is held (shared) until this commits: a run failing meanwhile waits,
        # then deletes these rows with the rest of what it staged.
        held = session.execute(select(Job.status, Job.attempts).join(ScoringRun, ScoringRun.job_id == Job.id)
                               .where(ScoringRun.id == run_id).with_for_update(read=True)).one()
        if held.status != "running":
            raise ChunkFailed(f"scoring run {run_id} ended ({held.status}) while its chunk {k} was scored")
        if attempt is not None and held.attempts != attempt:
            raise ChunkFailed(_superseded(run_id, held.attempts))
        for name, data in blobs.items():
            _put(session, run_id, k, name, data)
    return {"run_id": run_id, "chunk": k, "creators_scored": len(chunk.creator_ids)}


# The first pass this process decoded last, by (database, run, snapshot): a process running
# several chunks of a run (the coordinator, a worker) reads and decodes it once.
_decoded: dict[tuple[str, int, str], chunked_run.FirstPass] = {}


def _first_pass(session: Session, db: Database, run_id: int, snapshot: str) -> chunked_run.FirstPass:
    key = (db.url, run_id, snapshot)
    first = _decoded.get(key)
    if first is None:
        first = typed_blob.decode(_get(session, run_id, RUN_WIDE, ("first_pass",))["first_pass"])
        _decoded.clear()
        _decoded[key] = first
    return first


def _forget_first_pass_unless_needed(db: Database, coordination: dict) -> None:
    """Drops this process's decoded first pass once no chunk of its run waits for a worker
    (a worker does not hold a run's statistics in memory after it)."""
    try:
        with db.transaction(write=False) as session:
            waiting = session.scalar(select(func.count()).select_from(Job).where(
                Job.id.in_(coordination["chunk_jobs"]), Job.status == "queued"))
    except Exception:  # noqa: BLE001 -- the database is away: forget it, the next chunk decodes it again
        waiting = 0
    if not waiting:
        _decoded.clear()


def _take_staged_inputs(coordination: dict, k: int, directory: Path) -> None:
    """Moves the inputs of chunk ``k`` the first pass kept in a local file into ``directory``
    when this process runs on the coordinator's machine (only one process can move it)."""
    if coordination["host"] != socket.gethostname():
        return
    name = f"chunk-{k}-inputs.npz"
    try:
        os.replace(Path(coordination["staging"]) / name, directory / name)
    except OSError:  # not kept, or taken: the chunk reads its range from the database
        pass


def gather(db: Database, run_id: int, plan: chunked_run.Plan, staging: Path) -> list[chunked_run.StagedChunk]:
    """The chunks' staged rows, from the database into files of ``staging`` (as a chunk scored
    in this process stages them), in chunk order."""
    chunks: list[chunked_run.StagedChunk] = []
    try:
        for k in range(len(plan.ranges)):
            with db.transaction(write=False) as session:
                blobs = _get(session, run_id, k, ("scores", "explanations", "shares", "sketches", "creator_ids"))
            spool = ExplanationSpool()
            spool.extend_encoded(blobs["explanations"])
            chunk = chunked_run.StagedChunk(
                plan.id_range(k), np.frombuffer(blobs["creator_ids"], dtype="<i8").astype(np.int64), staging /
                f"gathered-{k}-scores.json", spool, staging / f"gathered-{k}-shares.npz",
                staging / f"gathered-{k}-sketches.npz")
            chunks.append(chunk)
            chunk.columns_path.write_bytes(blobs["scores"])
            chunk.shares_path.write_bytes(blobs["shares"])
            chunk.sketches_path.write_bytes(blobs["sketches"])
    except BaseException:
        for chunk in chunks:
            chunk.explanations.close()
        raise
    return chunks
