"""Scoring runs: load a workspace's inputs once, score vectorised, write the scores in bulk.

Used by the API (as a background job answering 202) and by ``influencers score``
(synchronously). The math lives in :mod:`influencers.scoring.score`.
"""
from __future__ import annotations

import time
from typing import Callable

import numpy as np
import pandas as pd
from sqlalchemy import delete, select, text, true, update
from sqlalchemy.orm import Session

from influencers.config import Settings
from influencers.creators.models import Creator
from influencers.db import Database, bulk_insert, encode_json, utcnow
from influencers.gcpause import gc_paused
from influencers.graph.service import scoring_graph_signals
from influencers.jobs import runner
from influencers.overlap.sketch_store import build_sketches_from_inputs
from influencers.scoring.loader import _columns, load_inputs
from influencers.scoring.model import DEFAULT_MODEL, FLAGS, ScoringModel
from influencers.scoring.score import ScoringResult, score_creators
from influencers.scoring.store import (
    FLAG_BITS,
    AudienceShare,
    CreatorScore,
    CreatorScoreExplanation,
    ScoringModelVersion,
    ScoringRun,
)

AUDIENCE_DIMENSIONS = ("country", "language", "gender", "age_range")
# Below this many creators the planner does fine without fresh statistics.
STATISTICS_THRESHOLD = 1000


class NoActiveModel(Exception):
    pass


def active_model(session: Session, workspace_id: int) -> ScoringModelVersion:
    """The workspace's active model; the shipped default is installed on first use."""
    record = session.scalar(
        select(ScoringModelVersion).where(
            ScoringModelVersion.workspace_id == workspace_id, ScoringModelVersion.is_active.is_(True)
        )
    )
    if record is None:
        record = session.scalar(
            select(ScoringModelVersion).where(
                ScoringModelVersion.workspace_id == workspace_id,
                ScoringModelVersion.version == DEFAULT_MODEL.version,
            )
        )
        if record is None:
            record = ScoringModelVersion(
                workspace_id=workspace_id, version=DEFAULT_MODEL.version, source="shipped",
                description="The shipped default model", parameters=DEFAULT_MODEL.to_dict(),
                is_active=True, activated_at=utcnow(),
            )
            session.add(record)
        else:
            record.is_active, record.activated_at = True, utcnow()
        session.flush()
    return record


def create_run(db: Database, workspace_id: int) -> int:
    with db.transaction() as session:
        return _add_run(session, workspace_id).id


def queue_run(session: Session, workspace_id: int) -> tuple[int, int]:
    """Adds a queued run and its job to the caller's transaction; returns (run id, job id).

    The caller dispatches the job once its transaction has committed (a worker
    must be able to read the rows), see ``unit_of_work.after_commit``.
    """
    run = _add_run(session, workspace_id)
    run.job_id = runner.enqueue(session, workspace_id, "score", {"run_id": run.id})
    session.flush()
    return run.id, run.job_id


def _add_run(session: Session, workspace_id: int) -> ScoringRun:
    model = active_model(session, workspace_id)
    run = ScoringRun(workspace_id=workspace_id, model_id=model.id, model_version=model.version, status="queued")
    session.add(run)
    session.flush()
    return run


@runner.job_handler("score")
def _score_job(db: Database, settings: Settings, workspace_id: int, params: dict, report_progress) -> dict:
    return execute_run(db, workspace_id, params["run_id"], report_progress)


def execute_run(db: Database, workspace_id: int, run_id: int,
                report_progress: Callable[[float], None] | None = None) -> dict:
    """Runs a queued scoring run to completion (or records its failure and re-raises)."""
    progress = report_progress or (lambda _fraction: None)
    timings: dict[str, float] = {}
    with db.transaction() as session:
        run = session.get(ScoringRun, run_id)
        run.status, run.started_at = "running", utcnow()
        model_record = session.get(ScoringModelVersion, run.model_id)
        model = ScoringModel.from_dict(model_record.parameters)
    try:
        # Millions of acyclic objects (rows, explanation dicts): see influencers.gcpause.
        with gc_paused():
            started = time.perf_counter()
            with db.transaction(write=False) as session:
                inputs = load_inputs(session, workspace_id)
                timings["read_seconds"] = round(time.perf_counter() - started, 3)
                started = time.perf_counter()
                # Graph centrality (PageRank percentile per platform) and comment-pod clusters.
                centrality, pods = scoring_graph_signals(session, workspace_id, inputs.creator_ids,
                                                         inputs.platform)
                timings["graph_seconds"] = round(time.perf_counter() - started, 3)
            progress(0.4)

            started = time.perf_counter()
            result = score_creators(inputs, model, centrality=centrality, pods=pods)
            shares = audience_shares(inputs)
            timings["compute_seconds"] = round(time.perf_counter() - started, 3)
            progress(0.7)

            # Scores, audience shares, the overlap sketches of the latest samples and the
            # run's status land in one transaction: a run that says "succeeded" has all of them.
            with db.transaction() as session:
                lock_workspace_scores(session, workspace_id)
                # Runs of one workspace may overlap (the API, the CLI, a retry): the newest
                # run's scores are the current ones, whichever finishes last. An older run
                # finishing after a newer one keeps its scores as history only.
                current = not newer_run_succeeded(session, workspace_id, run_id)
                started = time.perf_counter()
                write_scores(session, workspace_id, run_id, result, current=current)
                if current:
                    write_audience_shares(session, workspace_id, shares)
                timings["write_seconds"] = round(time.perf_counter() - started, 3)
                started = time.perf_counter()
                if current:
                    # From the memberships and member keys already loaded (not a second read of them).
                    build_sketches_from_inputs(session, workspace_id, inputs)
                timings["sketch_seconds"] = round(time.perf_counter() - started, 3)
                session.execute(update(ScoringRun).where(ScoringRun.id == run_id).values(
                    status="succeeded", creators_scored=result.n_creators, finished_at=utcnow(), timings=timings,
                    superseded=not current))
    except Exception as error:
        with db.transaction() as session:
            session.execute(update(ScoringRun).where(ScoringRun.id == run_id).values(
                status="failed", error=f"{type(error).__name__}: {error}", finished_at=utcnow()))
        raise
    if result.n_creators >= STATISTICS_THRESHOLD:
        # Discovery plans its searches on these tables' statistics.
        db.refresh_statistics(("creator_scores", "audience_shares", "audience_sketches"), vacuum=True)
    return {"run_id": run_id, "creators_scored": result.n_creators, "model_version": model.version,
            "superseded": not current, **timings}


def score_workspace(db: Database, workspace_id: int) -> int:
    """Synchronous scoring run (the CLI): returns the run id."""
    run_id = create_run(db, workspace_id)
    execute_run(db, workspace_id, run_id)
    return run_id


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
    return session.scalar(select(ScoringRun.id).where(
        ScoringRun.workspace_id == workspace_id, ScoringRun.id > run_id, ScoringRun.status == "succeeded",
    ).limit(1)) is not None


def write_scores(session: Session, workspace_id: int, run_id: int, result: ScoringResult, *,
                 current: bool = True) -> None:
    """Marks previous scores not current and bulk-inserts this run's rows and explanations
    (with ``current=False``: inserts them as history and leaves the current ones alone).

    Both go in with :func:`bulk_insert` (sqlite3 executemany / COPY) from per-column
    Python lists, the JSON pre-encoded with msgspec: at 20,000 creators the
    explanations are ~115 MB of JSON, and ``json.dumps`` through SQLAlchemy's JSON
    type plus its per-row dicts cost more than building them.
    """
    if current:
        session.execute(
            update(CreatorScore)
            .where(CreatorScore.workspace_id == workspace_id, CreatorScore.is_current == true())
            .values(is_current=False)
        )
    n = result.n_creators
    if n == 0:
        return
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
        "is_current": [current] * n,
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
    bulk_insert(session, CreatorScore.__tablename__, list(columns), zip(*columns.values()))
    # The explanations go in their own table, keyed by the new score ids (one query
    # for the ids: a creator has exactly one score per run).
    position = {cid: i for i, cid in enumerate(columns["creator_id"])}
    score_ids = session.execute(
        select(CreatorScore.id, CreatorScore.creator_id).where(CreatorScore.run_id == run_id)).all()
    explanations = result.explanations()
    bulk_insert(session, CreatorScoreExplanation.__tablename__, ["score_id", "explanation"],
                ((score_id, encode_json(explanations[position[creator_id]])) for score_id, creator_id in score_ids))


def audience_shares(inputs) -> pd.DataFrame:
    """Per creator, dimension and value: the share of the latest sample's members (known values only).

    Rows are ordered by dimension, creator position and value. Vectorised: the member
    values are factorised once (sorted codes), and (creator, code) pairs counted on one
    integer key per membership (:func:`_count_keys`).
    """
    frames = []
    for dimension in AUDIENCE_DIMENSIONS:
        values = getattr(inputs, f"member_{dimension}")
        if values is None or not len(inputs.sample_member):
            continue
        codes, uniques = pd.factorize(np.asarray(values, dtype=object), sort=True)  # -1: unknown
        member_codes = codes[inputs.sample_member]
        known_rows = member_codes >= 0
        if not known_rows.any():
            continue
        n_values = max(len(uniques), 1)
        keys, counts = _count_keys(inputs.sample_creator[known_rows].astype(np.int64) * n_values
                                   + member_codes[known_rows], inputs.n_creators * n_values)
        creator, code = np.divmod(keys, n_values)
        known = np.bincount(creator, weights=counts)[creator].astype(np.int64)
        frames.append(pd.DataFrame({
            "creator_id": inputs.creator_ids[creator],
            "dimension": dimension,
            "value": np.asarray(uniques, dtype=object)[code],
            "share": counts / known,
            "sample_size": known,
        }))
    if not frames:
        return pd.DataFrame(columns=["creator_id", "dimension", "value", "share", "sample_size"])
    return pd.concat(frames, ignore_index=True)


def _count_keys(keys: np.ndarray, key_range: int) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(keys, return_counts=True)`` for non-negative ``keys`` below ``key_range``.

    One ``bincount`` over the whole key range when it is not much larger than the
    keys (creators x a few dozen countries: no sort of 4M keys), else the sort.
    """
    if key_range <= 4 * len(keys) + 1024:
        counts = np.bincount(keys, minlength=key_range)
        present = np.flatnonzero(counts)
        return present, counts[present]
    return np.unique(keys, return_counts=True)


def write_audience_shares(session: Session, workspace_id: int, shares: pd.DataFrame) -> int:
    """Makes the workspace's stored audience shares equal to ``shares``, writing only what changed.

    A re-run usually finds most samples unchanged: deleting and re-inserting every
    row (~750,000 at 20,000 creators) cost more than the rest of the write. So the
    stored rows are read once (set-based) and compared with the new ones on
    (creator, dimension, value, share, sample_size); only the creators whose set of
    rows differs in any way (a new sample, a lost sample, a changed value) have their
    rows deleted and, if they still have shares, re-inserted. Unchanged creators'
    rows are left as they are, which is the same end state as rewriting them.
    Returns the number of creators whose rows were replaced or removed.
    """
    creators = select(Creator.id).where(Creator.workspace_id == workspace_id)
    table = AudienceShare.__table__
    stored = _columns(
        session,
        select(table.c.creator_id, table.c.dimension, table.c.value, table.c.share, table.c.sample_size)
        .where(table.c.creator_id.in_(creators)),
        ["creator_id", "dimension", "value", "share", "sample_size"],
    )
    stored = pd.DataFrame({
        "creator_id": np.array(stored["creator_id"], dtype=np.int64),
        "dimension": np.array(stored["dimension"], dtype=object),
        "value": np.array(stored["value"], dtype=object),
        "share": np.array(stored["share"], dtype=float),
        "sample_size": np.array(stored["sample_size"], dtype=np.int64),
    })
    new = pd.DataFrame({
        "creator_id": shares["creator_id"].to_numpy(dtype=np.int64),
        "dimension": shares["dimension"].to_numpy(dtype=object),
        "value": np.array([str(v) for v in shares["value"].tolist()], dtype=object),
        "share": shares["share"].to_numpy(dtype=float),
        "sample_size": shares["sample_size"].to_numpy(dtype=np.int64),
    })
    # Rows on one side only, or with another share / sample size, mark their creator changed.
    both = new.merge(stored, on=["creator_id", "dimension", "value"], how="outer", suffixes=("", "_stored"),
                     indicator=True)
    differs = ((both["_merge"] != "both").to_numpy()
               | (both["share"] != both["share_stored"]).to_numpy()
               | (both["sample_size"] != both["sample_size_stored"]).to_numpy())
    changed = np.unique(both["creator_id"].to_numpy(dtype=np.int64)[differs])
    if not len(changed):
        return 0
    changed_ids = changed.tolist()
    for start in range(0, len(changed_ids), 5000):
        session.execute(delete(AudienceShare).where(AudienceShare.creator_id.in_(changed_ids[start:start + 5000])))
    new = new[np.isin(new["creator_id"].to_numpy(), changed)]
    # Tuples straight to the driver (executemany / COPY): ~750,000 rows on a first run
    # at 20,000 creators, where SQLAlchemy's per-row dicts cost more than the INSERT.
    columns = ["creator_id", "dimension", "value", "share", "sample_size"]
    bulk_insert(session, AudienceShare.__tablename__, columns, zip(*(new[c].tolist() for c in columns)))
    return len(changed_ids)
