"""The overlap sketches a scoring run stores: one ``audience_sketches`` row per creator.

A scoring run's audience pass builds them (:func:`influencers.scoring.audience_pass.sketch_batch`)
from the memberships and member keys the run has already loaded, and
:func:`store_sketch_batch` writes them in the run's transaction, so sketches are as
fresh as the scores. Each row carries a digest of its bytes, so finding the rows that
changed reads no sketch. Overlap reports read them (:mod:`influencers.shortlists.sketches`).
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from influencers.creators.models import Creator
from influencers.db import bulk_insert, postgresql_types, utcnow
from influencers.overlap.sketch import VERSION
from influencers.scoring.audience_pass import SketchBatch
from influencers.scoring.store import AudienceSketchRecord

__all__ = ["store_sketch_batch", "store_sketches", "stored_sketches"]


def store_sketch_batch(session: Session, workspace_id: int, batch: SketchBatch,
                       creator_ids: Sequence[int] | np.ndarray) -> dict[str, int]:
    """See :func:`store_sketches`; ``creator_ids``: see below."""
    ids = np.asarray(creator_ids, dtype=np.int64)
    scope = select(Creator.id).where(Creator.workspace_id == workspace_id)
    if len(ids):
        # The stored rows of the batch's id range only (a chunked run writes a range at a time).
        scope = scope.where(Creator.id.between(int(ids.min()), int(ids.max())))
    return _store_batch(session, scope, batch, ids)


def _store_batch(session: Session, scope, batch: SketchBatch, creator_ids: np.ndarray) -> dict[str, int]:
    """Makes the stored sketches of ``creator_ids`` those of ``batch`` (a scoring run's, see
    :func:`influencers.scoring.audience_pass.sketch_batch`): what
    ``influencers.shortlists.sketches.build_sketches(session, workspace_id)`` would write for them,
    from the memberships the run has already loaded.

    ``creator_ids`` are the creators the batch was computed for (the run's creators);
    creators of the workspace added since are left alone. Only the stored rows'
    parameters and digests are read, not their bytes.
    """
    in_batch = set(creator_ids.tolist())
    stored = stored_sketches(session, scope)
    existing = {cid: row for cid, row in stored.items() if cid in in_batch}
    return store_sketches(session, batch, existing)


def stored_sketches(session: Session, creator_ids) -> dict[int, tuple]:
    """creator id -> (sample id, lg_k, seed, format version, digest) of the stored rows of
    ``creator_ids`` (a list or a subquery)."""
    record = AudienceSketchRecord
    return {int(cid): tuple(rest) for cid, *rest in session.execute(
        select(record.creator_id, record.sample_id, record.lg_k, record.seed, record.sketch_format_version,
               record.sketch_digest).where(record.creator_id.in_(creator_ids)))}


def store_sketches(session: Session, batch: SketchBatch, existing: dict[int, tuple]) -> dict[str, int]:
    """Writes the rows of ``batch`` whose (sample, parameters, digest) differ from ``existing``;
    deletes the ``existing`` rows of creators not in ``batch`` (no sample any more)."""
    now = utcnow()
    rows, replace = [], []
    sampled_at = batch.sampled_at.astype("datetime64[D]").tolist()
    for k, (cid, sample_id, count, digest) in enumerate(zip(
            batch.creator_ids.tolist(), batch.sample_ids.tolist(), batch.member_counts.tolist(),
            batch.digests.tolist())):
        if existing.get(cid) == (sample_id, batch.lg_k, batch.seed, VERSION, digest):
            continue
        replace.append(cid)
        rows.append({"creator_id": cid, "sample_id": sample_id, "sampled_at": sampled_at[k], "lg_k": batch.lg_k,
                     "seed": batch.seed, "sketch_format_version": VERSION, "member_count": count,
                     "sketch": batch.blobs[k], "sketch_digest": digest, "created_at": now})
    in_batch = set(batch.creator_ids.tolist())
    stale = [cid for cid in existing if cid not in in_batch]
    # Only creators with a stored row have one to delete (a first run: none).
    gone = [cid for cid in replace if cid in existing] + stale
    for start in range(0, len(gone), 5000):
        session.execute(delete(AudienceSketchRecord).where(
            AudienceSketchRecord.creator_id.in_(gone[start:start + 5000])))
    if rows and session.get_bind().dialect.name == "postgresql":
        # Binary COPY: a first scoring run writes ~20,000 sketches (~30 MB), which
        # SQLAlchemy's batched INSERT writes more slowly.
        columns = list(rows[0])
        bulk_insert(session, AudienceSketchRecord.__tablename__, columns, (tuple(row.values()) for row in rows),
                    binary_types=postgresql_types(AudienceSketchRecord.__table__, columns))
    else:
        for start in range(0, len(rows), 2000):
            session.execute(insert(AudienceSketchRecord.__table__), rows[start:start + 2000])
    return {"sketched": len(batch), "written": len(rows), "unchanged": len(batch) - len(rows),
            "removed": len(stale)}
