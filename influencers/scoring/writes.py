"""What a scoring run writes: its score rows, their explanations and the audience shares.

Rows are prepared outside the write transaction (on SQLite it holds the database's only
write lock); the explanations, ~5 kB of JSON per creator, are encoded as they are made
into a temporary file (:class:`ExplanationSpool`) and streamed from it into the
database, so a run never holds all of them in memory.
"""
from __future__ import annotations

import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
from sqlalchemy import delete, func, select, text, true, update
from sqlalchemy.orm import Session

from influencers.creators.models import Creator
from influencers.db import bulk_insert, bulk_insert_arrays, encode_json
from influencers.jobs.models import Job
from influencers.scoring.audience_pass import AudienceShares
from influencers.scoring.model import FLAGS
from influencers.scoring.score import ScoringResult
from influencers.scoring.store import (
    FLAG_BITS,
    AudienceShare,
    AudienceShareDigest,
    CreatorScore,
    CreatorScoreExplanation,
    ScoringRun,
)


class ExplanationSpool:
    """Encoded explanations in creator order, one JSON document a line, in an anonymous
    temporary file: written as they are made, read back one at a time by the write.

    msgspec escapes control characters inside strings, so an encoded document holds no
    newline and one line is one document.
    """

    def __init__(self) -> None:
        self._file = tempfile.TemporaryFile(prefix="influencers-explanations-")
        self.count = 0

    def extend(self, explanations: Iterable[dict]) -> None:
        write = self._file.write
        for explanation in explanations:
            write(encode_json(explanation).encode())
            write(b"\n")
            self.count += 1

    def __len__(self) -> int:
        return self.count

    def encoded(self) -> bytes:
        """Every document, a line each (what :meth:`extend_encoded` takes)."""
        self._file.flush()
        self._file.seek(0)
        data = self._file.read()
        self._file.seek(0, 2)
        return data

    def extend_encoded(self, lines: bytes) -> None:
        """Appends documents :meth:`encoded` returned (another spool's)."""
        self._file.write(lines)
        self.count += lines.count(b"\n")

    def __iter__(self) -> Iterator[str]:
        self._file.flush()
        self._file.seek(0)
        for line in self._file:
            yield line[:-1].decode()
        self._file.seek(0, 2)  # appending continues at the end

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> ExplanationSpool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


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
    """A run's score rows as per-column Python lists and its explanations (JSON text, in the
    same creator order): everything :func:`write_scores` inserts, prepared outside the write
    transaction (it holds the database's write lock on SQLite). ``explanations``: a list, or an
    :class:`ExplanationSpool` (what a run uses: the caller closes it)."""

    columns: dict[str, list]
    explanations: list[str] | ExplanationSpool


def score_rows(workspace_id: int, run_id: int, result: ScoringResult, engagement: list | None = None,
               patches: list[dict] | None = None, *, spool: ExplanationSpool | None = None) -> ScoreRows:
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
    if spool is None:
        return ScoreRows(columns, [encode_json(explanation) for explanation in explanations])
    spool.extend(explanations)
    return ScoreRows(columns, spool)


def write_scores(session: Session, workspace_id: int, run_id: int, rows: ScoreRows, *,
                 current: bool = True, retire_current: bool = True) -> None:
    """Marks previous scores not current and bulk-inserts this run's :func:`score_rows` and
    explanations (with ``current=False``: inserts them as history and leaves the current
    ones alone). Both tables go in with :func:`bulk_insert` (sqlite3 executemany / COPY).
    ``retire_current=False``: the previous scores were marked already (a chunked run's
    chunks after the first; each chunk's rows are a range of creator ids).
    """
    if session.get_bind().dialect.name == "postgresql" and session.scalar(text(
            "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'")):
        # Explanations (~5 kB each) are compressed as they are stored (TOAST). lz4 takes half
        # the server time of the default pglz for about the same size. PostgreSQL 14+ built
        # with lz4; for this transaction only.
        session.execute(text("SET LOCAL default_toast_compression = 'lz4'"))
    if current and retire_current:
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
    # for the ids: a creator has exactly one score per run), in the rows' order as they
    # stream from the spool.
    ids = columns["creator_id"]
    score_id_of = dict(session.execute(
        select(CreatorScore.creator_id, CreatorScore.id).where(
            CreatorScore.run_id == run_id, CreatorScore.creator_id.between(min(ids), max(ids)))).all())
    if len(rows.explanations) != len(columns["creator_id"]):
        raise ValueError(f"{len(rows.explanations)} explanations for {len(columns['creator_id'])} scores")
    # Binary COPY on PostgreSQL: the server then takes each ~5 kB text as it is, where text
    # COPY scans every explanation for escapes.
    bulk_insert(session, CreatorScoreExplanation.__tablename__, ["score_id", "explanation"],
                ((score_id_of[creator_id], explanation)
                 for creator_id, explanation in zip(columns["creator_id"], rows.explanations)),
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


def write_audience_shares(session: Session, workspace_id: int, shares: AudienceShares,
                          id_range: tuple[int, int] | None = None) -> int:
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
    or removed. ``id_range``: only the workspace's creators with ids in it (first and last included).
    """
    creators = select(Creator.id).where(Creator.workspace_id == workspace_id)
    if id_range is not None:  # a chunked run's chunk: the creators of that id range only
        creators = creators.where(Creator.id.between(int(id_range[0]), int(id_range[1])))
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
