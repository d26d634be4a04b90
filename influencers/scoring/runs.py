"""Scoring runs: load a workspace's inputs once, score vectorised, write the scores in bulk.

Used by the API (as a background job answering 202) and by ``influencers score``
(synchronously). The math lives in :mod:`influencers.scoring.score`.
"""
from __future__ import annotations

import time
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack, contextmanager, nullcontext
from dataclasses import dataclass
from typing import Callable, Iterator

import numpy as np
from sqlalchemy import delete, func, select, text, true, update
from sqlalchemy.orm import Session

from influencers.columnar import columnar_reads
from influencers.config import Settings, load_settings, scoring_worker_min_creators
from influencers.creators.models import Creator
from influencers.db import Database, bulk_insert, bulk_insert_arrays, encode_json, json_fragments, utcnow
from influencers.gcpause import gc_paused
from influencers.graph.service import scoring_graph_signals
from influencers.jobs import runner
from influencers.jobs.models import Job
from influencers.overlap.sketch import DEFAULT_LG_K, DEFAULT_SEED
from influencers.scoring import recalibration
from influencers.scoring.active_model import active_model, active_scoring_model
from influencers.scoring.audience_pass import AudienceShares, LocalAudiencePass
from influencers.scoring.audience_worker import AudienceWorker, AudienceWorkerError, begin_snapshot, can_use_worker
from influencers.scoring.loader import load_inputs
from influencers.scoring.model import FLAGS, ScoringModel
from influencers.scoring.score import ScoringResult, activity_signals, engagement_explanations, score_creators
from influencers.scoring.sketch_store import store_sketch_batch
from influencers.webhooks import emit
from influencers.scoring.store import (
    FLAG_BITS,
    AudienceShare,
    AudienceShareDigest,
    CreatorScore,
    CreatorScoreExplanation,
    ScoringModelVersion,
    ScoringRun,
)

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


def _set_job(session: Session, run_id: int, **values) -> None:
    """Writes the run's status, error or times: on its job's row."""
    session.execute(update(Job).where(Job.id == select(ScoringRun.job_id).where(ScoringRun.id == run_id)
                                      .scalar_subquery()).values(**values))


def score_job(db: Database, settings: Settings, workspace_id: int, params: dict, report_progress) -> dict:
    return execute_run(db, workspace_id, params["run_id"], report_progress,
                       worker_min_creators=settings.scoring_worker_min_creators)


# execute_run's default for ``worker_min_creators``: the INFLUENCERS_SCORING_WORKER_MIN_CREATORS setting.
FROM_SETTINGS = "from settings"


def execute_run(db: Database, workspace_id: int, run_id: int,
                report_progress: Callable[[float], None] | None = None, *,
                worker_min_creators: int | None | str = FROM_SETTINGS) -> dict:
    """Runs a queued scoring run to completion (or records its failure and re-raises).

    The audience pass (:mod:`influencers.scoring.audience_pass`) runs in a worker
    process (:mod:`influencers.scoring.audience_worker`) on the run's snapshot when the
    workspace has at least ``worker_min_creators`` creators (``None``: never; default:
    the ``INFLUENCERS_SCORING_WORKER_MIN_CREATORS`` setting), else in this process. Both
    give the same result.
    """
    progress = report_progress or (lambda _fraction: None)
    if worker_min_creators == FROM_SETTINGS:
        worker_min_creators = scoring_worker_min_creators()
    timings: dict[str, float] = {}
    with db.transaction() as session:
        run = session.get(ScoringRun, run_id)
        # Through the runner the job is running already; run directly (the CLI), it starts now.
        run.job.status, run.job.started_at = "running", run.job.started_at or utcnow()
        model_record = session.get(ScoringModelVersion, run.model_id)
        model = ScoringModel.from_dict(model_record.parameters)
        # A trained version's classifier (None for a hand-set one); a changed artefact fails the run.
        classifier = recalibration.load(session, model_record)
        # The overlap sketches count the members the workspace's active model calls
        # authentic (as build_sketches does); usually the run's own model.
        sketch_model, _version = active_scoring_model(session, workspace_id)
        n_creators = session.scalar(select(func.count()).select_from(Creator).where(
            Creator.workspace_id == workspace_id))
    use_worker = worker_min_creators is not None and n_creators >= worker_min_creators and can_use_worker(db)
    try:
        # Millions of acyclic objects (rows, explanation dicts): see influencers.gcpause.
        with gc_paused(), (AudienceWorker(db, workspace_id, lg_k=DEFAULT_LG_K, seed=DEFAULT_SEED)
                           if use_worker else nullcontext()) as worker:
            started = time.perf_counter()
            with db.transaction(write=False) as session:
                begin_snapshot(session)
                if worker is not None:
                    # Before the run's first read: on SQLite that read starts the shared snapshot.
                    # The worker adopts it once it has started; the run reads on meanwhile.
                    worker.start_sharing_snapshot(session, model=model.to_dict(),
                                                  sketch_model=sketch_model.to_dict())
                with columnar_reads(session):
                    inputs = load_inputs(session, workspace_id, audience=worker is None)
                timings["read_seconds"] = round(time.perf_counter() - started, 3)
                started = time.perf_counter()
                # Graph centrality (PageRank percentile per platform) and comment-pod clusters.
                centrality, pods = scoring_graph_signals(session, workspace_id, inputs.creator_ids,
                                                         inputs.platform)
                timings["graph_seconds"] = round(time.perf_counter() - started, 3)
                if worker is not None:
                    worker.wait_snapshot_shared()  # the snapshot lives as long as this transaction
            progress(0.4)

            # The audience pass: from the worker, part by part as it finishes them, or computed here.
            audience = worker if worker is not None else LocalAudiencePass(inputs, model, sketch_model)
            # Scores, audience shares, the overlap sketches of the latest samples and the
            # run's status land in one transaction: a run that says "succeeded" has all of them.
            # On PostgreSQL with a worker it begins now, and a thread has the server store the
            # audience shares as soon as the worker hands them over (they do not depend on the
            # classification: the worker sends them first), while this thread waits for the
            # audience types and computes the scores. On SQLite the write transaction holds the
            # database's only write lock, so it begins once everything is computed.
            write_early = worker is not None and not db.is_sqlite
            with ExitStack() as stack:
                if write_early:
                    session, current = stack.enter_context(_write_transaction(db, workspace_id, run_id))
                    shares_written = stack.enter_context(_in_thread(
                        _write_shares_timed, session, workspace_id, audience.shares, timings, current))
                started = time.perf_counter()
                # Engagement and the activity flags first: with a worker, its audience pass is still running.
                activity = activity_signals(inputs, model, pods)
                # The explanations' engagement sections depend on the posts only: made (and encoded)
                # while the worker's audience pass runs, not after it.
                engagement_sections = json_fragments(engagement_explanations(inputs, activity))
                waiting = time.perf_counter()
                audience_result = audience.audience()
                if worker is not None:
                    timings["audience_wait_seconds"] = round(time.perf_counter() - waiting, 3)
                    if not np.array_equal(worker.creator_ids, inputs.creator_ids):
                        raise AudienceWorkerError("the audience worker read other creators than the run")
                result = score_creators(inputs, model, centrality=centrality, pods=pods, audience=audience_result,
                                        activity=activity)
                patches = None
                if classifier is not None:
                    result, patches = recalibration.apply(result, classifier, model_record.version)
                if worker is None:
                    audience.precompute()  # not inside the write transaction, which holds the write lock
                rows = score_rows(workspace_id, run_id, result, engagement_sections, patches)
                timings["compute_seconds"] = round(
                    time.perf_counter() - started - timings.get("audience_wait_seconds", 0), 3)
                progress(0.7)

                if write_early:
                    waiting = time.perf_counter()
                    shares_written.result()
                    timings["shares_wait_seconds"] = round(time.perf_counter() - waiting, 3)
                else:
                    session, current = stack.enter_context(_write_transaction(db, workspace_id, run_id))
                started = time.perf_counter()
                write_scores(session, workspace_id, run_id, rows, current=current)
                timings["write_scores_seconds"] = round(time.perf_counter() - started, 3)
                if not write_early:
                    _write_shares_timed(session, workspace_id, audience.shares, timings, current)
                timings["write_seconds"] = round(time.perf_counter() - started, 3)
                started = time.perf_counter()
                if current:
                    store_sketch_batch(session, workspace_id, audience.sketches(), inputs.creator_ids)
                timings["sketch_seconds"] = round(time.perf_counter() - started, 3)
                timings.update(audience.timings, audience_worker=use_worker)
                session.execute(update(ScoringRun).where(ScoringRun.id == run_id).values(
                    creators_scored=result.n_creators, timings=timings, superseded=not current))
                _set_job(session, run_id, status="succeeded", finished_at=utcnow())
                _announce(session, workspace_id, run_id)
                committing = time.perf_counter()
    except Exception as error:
        with db.transaction() as session:
            _set_job(session, run_id, status="failed", error=f"{type(error).__name__}: {error}", finished_at=utcnow())
            _announce(session, workspace_id, run_id)
        raise
    # Not in the stored timings (they are written in the transaction this commits).
    timings["commit_seconds"] = round(time.perf_counter() - committing, 3)
    if result.n_creators >= STATISTICS_THRESHOLD:
        started = time.perf_counter()
        # Discovery plans its searches on these tables' statistics.
        db.refresh_statistics(("creator_scores", "audience_shares", "audience_sketches"), vacuum=True)
        timings["statistics_seconds"] = round(time.perf_counter() - started, 3)
    return {"run_id": run_id, "creators_scored": result.n_creators, "model_version": model.version,
            "superseded": not current, **timings}


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


@contextmanager
def _write_transaction(db: Database, workspace_id: int, run_id: int) -> Iterator[tuple[Session, bool]]:
    """The run's write transaction, with the workspace's scores lock: (session, whether this
    run's scores become the current ones)."""
    with db.transaction() as session:
        lock_workspace_scores(session, workspace_id)
        # Runs of one workspace may overlap (the API, the CLI, a retry): the newest
        # run's scores are the current ones, whichever finishes last. An older run
        # finishing after a newer one keeps its scores as history only.
        yield session, not newer_run_succeeded(session, workspace_id, run_id)


def _write_shares_timed(session: Session, workspace_id: int, shares: Callable[[], AudienceShares],
                        timings: dict[str, float], current: bool) -> None:
    """:func:`write_audience_shares` of ``shares()`` when the run is the current one; its time in ``timings``."""
    if current:
        started = time.perf_counter()
        write_audience_shares(session, workspace_id, shares())
        timings["write_shares_seconds"] = round(time.perf_counter() - started, 3)


@contextmanager
def _in_thread(function: Callable, *args) -> Iterator[Future]:
    """Runs ``function(*args)`` in a thread; the block gets its future. Leaving the block
    waits for the thread in every case (it may be using the block's database session)."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="scoring-run") as executor:
        yield executor.submit(function, *args)


def _nullable(values: np.ndarray) -> list:
    """Floats as a Python list, nan as None (one ``tolist``, not n numpy scalars)."""
    values = np.asarray(values, dtype=float)
    out = values.tolist()
    for k in np.flatnonzero(np.isnan(values)).tolist():
        out[k] = None
    return out


# Advisory lock namespace of the scoring write phase (PostgreSQL); the importer uses its own.
_SCORES_LOCK_CLASS = 0x5C0


def lock_workspace_scores(session: Session, workspace_id: int) -> None:
    """Serialises the write phase of a workspace's scoring runs until the transaction ends.

    Without it two runs committing at once on PostgreSQL could both leave their rows
    current (each UPDATE of ``is_current`` misses the other's uncommitted inserts).
    SQLite write transactions are serialised already (BEGIN IMMEDIATE).
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:namespace, :workspace)"),
                        {"namespace": _SCORES_LOCK_CLASS, "workspace": workspace_id})


def newer_run_succeeded(session: Session, workspace_id: int, run_id: int) -> bool:
    return session.scalar(select(ScoringRun.id).join(Job, Job.id == ScoringRun.job_id).where(
        ScoringRun.workspace_id == workspace_id, ScoringRun.id > run_id, Job.status == "succeeded",
    ).limit(1)) is not None


@dataclass
class ScoreRows:
    """A run's score rows as per-column Python lists and its explanations as JSON text, in
    creator order: everything :func:`write_scores` inserts, prepared outside the write
    transaction (it holds the database's write lock on SQLite)."""

    columns: dict[str, list]
    explanations: list[str]


def score_rows(workspace_id: int, run_id: int, result: ScoringResult, engagement: list | None = None,
               patches: list[dict] | None = None) -> ScoreRows:
    """The rows of :func:`write_scores` (``is_current`` is set there). Column lists and JSON
    pre-encoded with msgspec: at 20,000 creators the explanations are ~110 MB of JSON, and
    ``json.dumps`` through SQLAlchemy's JSON type plus its per-row dicts cost more than
    building them. ``engagement``: the explanations' engagement sections, made already
    (:func:`~influencers.scoring.score.engagement_explanations`, as :func:`json_fragments`)."""
    n = result.n_creators
    components = result.components
    as_of = np.datetime_as_string(result.as_of.astype("datetime64[D]"), unit="D").tolist()
    for k in np.flatnonzero(np.isnat(result.as_of)).tolist():
        as_of[k] = None  # ISO dates: what SQLAlchemy's Date stores on SQLite, and COPY parses
    estimated_reach = [None if v != v else int(round(v)) for v in np.asarray(result.estimated_reach, float).tolist()]
    flag_bits = np.zeros(n, dtype=np.int64)
    for name in FLAGS:
        flag_bits[np.asarray(result.flags[name].flagged, dtype=bool)] |= FLAG_BITS[name]
    # Each creator's flag names in FLAGS order (``ScoringResult.flag_names``), from the bit set.
    flags = [encode_json([name for name in FLAGS if bits & FLAG_BITS[name]]) for bits in flag_bits.tolist()]
    columns = {
        "workspace_id": [workspace_id] * n,
        "run_id": [run_id] * n,
        "creator_id": np.asarray(result.creator_ids, dtype=np.int64).tolist(),
        "model_version": [result.model.version] * n,
        "as_of": as_of,
        "score": _nullable(result.score),
        "authenticity": _nullable(result.authenticity),
        "engagement_quality": _nullable(components["engagement"]),
        "reach_component": _nullable(components["reach"]),
        "centrality": _nullable(components["centrality"]),
        "fake_follower_share": _nullable(result.fake_follower_share),
        "fake_follower_share_low": _nullable(result.fake_follower_share_low),
        "fake_follower_share_high": _nullable(result.fake_follower_share_high),
        "reachable_share": _nullable(result.reachable_share),
        "engagement_rate": _nullable(result.engagement_rate),
        "engagement_rate_views": _nullable(result.metrics["er_views"]),
        "estimated_reach": estimated_reach,
        "sample_size": np.asarray(result.sample_size, dtype=np.int64).tolist(),
        "confidence": _nullable(result.confidence),
        "flag_bits": flag_bits.tolist(),
        "flags": flags,
    }
    explanations = result.explanations(engagement)
    if patches is not None:  # a trained version's sections (influencers.calibration.apply)
        explanations = ({**explanation, **patch} for explanation, patch in zip(explanations, patches))
    return ScoreRows(columns, [encode_json(explanation) for explanation in explanations])


def write_scores(session: Session, workspace_id: int, run_id: int, rows: ScoreRows, *,
                 current: bool = True) -> None:
    """Marks previous scores not current and bulk-inserts this run's :func:`score_rows` and
    explanations (with ``current=False``: inserts them as history and leaves the current
    ones alone). Both tables go in with :func:`bulk_insert` (sqlite3 executemany / COPY).
    """
    if session.get_bind().dialect.name == "postgresql" and session.scalar(text(
            "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'")):
        # Explanations (~5 kB each) are compressed as they are stored (TOAST). lz4 takes half
        # the server time of the default pglz for about the same size. PostgreSQL 14+ built
        # with lz4; for this transaction only.
        session.execute(text("SET LOCAL default_toast_compression = 'lz4'"))
    if current:
        session.execute(
            update(CreatorScore)
            .where(CreatorScore.workspace_id == workspace_id, CreatorScore.is_current == true())
            .values(is_current=False)
        )
    columns = {**rows.columns, "is_current": [current] * len(rows.columns["creator_id"])}
    if not columns["creator_id"]:
        return
    bulk_insert(session, CreatorScore.__tablename__, list(columns), zip(*columns.values()))
    # The explanations go in their own table, keyed by the new score ids (one query
    # for the ids: a creator has exactly one score per run).
    position = {cid: i for i, cid in enumerate(columns["creator_id"])}
    score_ids = session.execute(
        select(CreatorScore.id, CreatorScore.creator_id).where(CreatorScore.run_id == run_id)).all()
    explanations = rows.explanations
    # Binary COPY on PostgreSQL: the server then takes each ~5 kB text as it is, where text
    # COPY scans all ~110 MB for escapes.
    bulk_insert(session, CreatorScoreExplanation.__tablename__, ["score_id", "explanation"],
                ((score_id, explanations[position[creator_id]]) for score_id, creator_id in score_ids),
                binary_types=["int4", "text"])


# Below this many new rows, maintaining the lookup index row by row is cheap enough.
_REBUILD_MIN_ROWS = 100_000


@contextmanager
def _lookup_index_rebuilt_if_cheaper(session: Session, new_rows: int):
    """On SQLite, when at least as many share rows are about to be inserted as the table
    still holds (a workspace's first run, or every sample new), drops discovery's lookup
    index for the insert and rebuilds it after, in the same transaction (SQLite DDL is
    transactional: readers keep the old index until the commit). Sorting once costs less
    than updating the index for each of ~750,000 rows. PostgreSQL's COPY needs no help.
    """
    if session.get_bind().dialect.name != "sqlite" or new_rows < _REBUILD_MIN_ROWS:
        yield
        return
    existing = session.scalar(select(func.count()).select_from(AudienceShare))
    if new_rows < existing:
        yield
        return
    index = next(i for i in AudienceShare.__table__.indexes if i.name == "ix_audience_shares_lookup")
    connection = session.connection()
    index.drop(connection)
    yield
    index.create(connection)


def write_audience_shares(session: Session, workspace_id: int, shares: AudienceShares) -> int:
    """Makes the workspace's stored audience shares equal to ``shares``, writing only what changed.

    A re-run usually finds most samples unchanged: deleting and re-inserting every
    row (~750,000 at 20,000 creators) cost more than the rest of the write, and so
    did reading them all back to compare. So each creator's rows carry one digest
    (``audience_share_digests``, written with them): the stored digests are read
    (one row per creator) and compared with the new ones, and only the creators
    whose digest differs or is missing on either side (a new sample, a lost sample,
    a changed value) have their rows deleted and, if they still have shares,
    re-inserted. Unchanged creators' rows are left as they are, which is the same end
    state as rewriting them. Returns the number of creators whose rows were replaced
    or removed.
    """
    creators = select(Creator.id).where(Creator.workspace_id == workspace_id)
    stored = dict(session.execute(select(AudienceShareDigest.creator_id, AudienceShareDigest.digest)
                                  .where(AudienceShareDigest.creator_id.in_(creators))).all())
    new = dict(zip(shares.digest_creator_ids.tolist(), shares.digests.tolist()))
    changed_ids = sorted(cid for cid in stored.keys() | new.keys() if stored.get(cid) != new.get(cid))
    if not changed_ids:
        return 0
    # Share rows exist only with their creator's digest (they are written together): only
    # creators with a stored digest have rows to delete (a first run: none).
    stale_ids = [cid for cid in changed_ids if cid in stored]
    for start in range(0, len(stale_ids), 5000):
        chunk = stale_ids[start:start + 5000]
        session.execute(delete(AudienceShare).where(AudienceShare.creator_id.in_(chunk)))
        session.execute(delete(AudienceShareDigest).where(AudienceShareDigest.creator_id.in_(chunk)))
    rows = np.isin(shares.creator_id, np.array(changed_ids, dtype=np.int64))
    # Arrays straight to the driver (binary COPY / executemany, see bulk_insert_arrays):
    # ~730,000 rows on a first run at 20,000 creators, where SQLAlchemy's per-row dicts
    # cost more than the INSERT. The digests first: their foreign key is what guards the
    # share rows (see AudienceShare).
    digest_rows = np.isin(shares.digest_creator_ids, np.array(changed_ids, dtype=np.int64))
    bulk_insert_arrays(session, AudienceShareDigest.__table__, {
        "creator_id": shares.digest_creator_ids[digest_rows], "digest": shares.digests[digest_rows]})
    with _lookup_index_rebuilt_if_cheaper(session, int(rows.sum())):
        bulk_insert_arrays(session, AudienceShare.__table__, {
            "creator_id": shares.creator_id[rows], "attribute": shares.attribute[rows],
            "share": shares.share[rows], "sample_size": shares.sample_size[rows]})
    return len(changed_ids)
