"""Stored per-creator theta sketches and the overlap report answered from them.

:func:`build_sketches` sketches each creator's latest audience sample -- its
*counted* members, i.e. the authentic ones by the workspace's active model,
exactly the members the exact report counts without a target -- keyed by their
stored ``member_key`` (as :func:`~influencers.overlap.sketch.member_sketch_keys`),
and upserts one ``audience_sketches`` row per creator with the parameters it was
built with (``lg_k``, ``seed``, format version). It is set-based: the overlap
loader's queries once per platform, one query for the member keys and one for
the existing rows; a row is replaced only when its bytes changed (a new sample,
other parameters, or a member reclassified by a new model), judged by the
stored digest of the bytes.

Scoring runs store the sketches their audience pass built
(:func:`influencers.scoring.audience_pass.sketch_batch`, written with
:func:`store_sketch_batch`), so sketches are as fresh as the scores: the same
rows, built from the memberships and member keys the run has already loaded
(reading every latest sample a second time through the overlap loader was the
slowest stage of a run). Each row carries a digest of its bytes, so finding
the rows that changed reads no sketch.

:func:`sketch_overlap_report` answers the overlap report from stored sketches
only (no member is read): pairwise intersections and Jaccard with bounds,
per-creator unique members, the union, and unique reach scaled like the exact
report's authentic scaling (``F (1 - fake share) / counted members``). Every
number is an estimate; below ``2^lg_k`` members a theta sketch is exact and
its bounds collapse onto the estimate.
"""
from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Sequence

import numpy as np
from sqlalchemy import delete, insert, select, true
from sqlalchemy.orm import Session

from influencers.creators.models import AudienceSample, Creator
from influencers.db import bulk_insert, postgresql_types, utcnow
from influencers.overlap.loader import (
    FAKE_SHARE_SOURCES,
    MixedPlatforms,
    UnknownCreators,
    load_audience,
)
from influencers.overlap.models import AudienceSketchRecord
from influencers.overlap.sketch import (
    DEFAULT_LG_K,
    DEFAULT_SEED,
    VERSION,
    AudienceSketch,
    build_sketch,
    sketch_overlap,
    sketch_unique_reach,
)
from influencers.scoring.audience_pass import SketchBatch
from influencers.scoring.loader import distinct_ids, read_members
from influencers.scoring.store import CreatorScore

__all__ = ["build_sketches", "store_sketch_batch", "sketch_overlap_report", "MissingSketches",
           "IncompatibleSketches"]

NUM_STD_DEVS = 2


class MissingSketches(LookupError):
    """Creators whose latest sample has no stored sketch (yet): a scoring run builds them."""

    def __init__(self, ids):
        self.ids = sorted(ids)
        super().__init__(
            f"creators {self.ids[:20]} have no stored audience sketch of their latest sample; "
            "run a scoring run (POST /v1/scoring-runs) to build the sketches, or use method=exact")


class IncompatibleSketches(ValueError):
    """Stored sketches built with different seeds cannot be combined."""


def relative_standard_error(lg_k: int) -> float:
    """The theta sketch's relative standard error in estimation mode, about ``1 / sqrt(2^lg_k)``."""
    return 1.0 / math.sqrt(2 ** lg_k)


def _creator_platforms(session: Session, workspace_id: int, creator_ids: Sequence[int] | None) -> dict[int, str]:
    stmt = select(Creator.id, Creator.platform).where(Creator.workspace_id == workspace_id)
    if creator_ids is not None:
        stmt = stmt.where(Creator.id.in_([int(c) for c in creator_ids]))
    return {int(cid): platform for cid, platform in session.execute(stmt).all()}


def _latest_samples(session: Session, creator_ids: Sequence[int]) -> dict[int, tuple[int, dt.date]]:
    """creator id -> (latest sample id, sampled_at); one query."""
    if not creator_ids:
        return {}
    rows = session.execute(
        select(AudienceSample.creator_id, AudienceSample.id, AudienceSample.sampled_at)
        .where(AudienceSample.creator_id.in_(list(creator_ids)))
        .order_by(AudienceSample.creator_id, AudienceSample.sampled_at)
    ).all()
    return {int(cid): (int(sid), sampled_at) for cid, sid, sampled_at in rows}  # the last (latest) wins


def build_sketches(session: Session, workspace_id: int, creator_ids: Sequence[int] | None = None, *,
                   lg_k: int = DEFAULT_LG_K, seed: int = DEFAULT_SEED) -> dict[str, int]:
    """Builds and upserts the sketches of ``creator_ids`` (default: every creator of the workspace).

    Returns counts: ``sketched`` (creators with a latest sample), ``written``
    (rows inserted or replaced), ``unchanged``, ``removed`` (stale rows of
    creators with no sample any more).
    """
    if not 0 <= seed < 2 ** 63:
        raise ValueError("seed must be within [0, 2^63)")
    platforms = _creator_platforms(session, workspace_id, creator_ids)
    if creator_ids is not None:
        missing = {int(c) for c in creator_ids} - set(platforms)
        if missing:
            raise UnknownCreators(missing)
    by_platform: dict[str, list[int]] = defaultdict(list)
    for cid, platform in sorted(platforms.items()):
        by_platform[platform].append(cid)
    latest = _latest_samples(session, list(platforms))

    # Counted members per creator, as member ids, from the overlap loader (once per platform).
    counted: dict[int, np.ndarray] = {}
    for platform, ids in by_platform.items():
        with_sample = [c for c in ids if c in latest]
        if not with_sample:
            continue
        data = load_audience(session, workspace_id, with_sample, platform=platform)
        matrix = data.incidence.matrix
        member_ids = np.asarray(data.incidence.member_keys, dtype=np.int64)
        for i, cid in enumerate(data.creator_ids):
            cols = matrix.indices[matrix.indptr[i]:matrix.indptr[i + 1]]
            counted[int(cid)] = member_ids[cols[data.authentic[cols]]]

    # The stable pseudonymous keys of those members, as sketch keys (the scoring loader's read).
    keyed_ids = distinct_ids(np.concatenate(list(counted.values()))) if counted else np.zeros(0, np.int64)
    sketch_keys = read_members(session, workspace_id, keyed_ids, ("member_key",))["member_sketch_keys"]

    existing = _stored_sketches(session, list(platforms)) if platforms else {}
    ids = list(counted)
    members = np.concatenate([counted[cid] for cid in ids]) if ids else np.zeros(0, np.int64)
    position = np.searchsorted(keyed_ids, members)
    if not (position < len(keyed_ids)).all() or not np.array_equal(keyed_ids[position], members):
        raise LookupError("audience members changed within one transaction")
    batch = SketchBatch.build(ids, [latest[cid][0] for cid in ids], [latest[cid][1] for cid in ids],
                              sketch_keys[position], [len(counted[cid]) for cid in ids], lg_k=lg_k, seed=seed)
    return _store_sketches(session, batch, existing)


def store_sketch_batch(session: Session, workspace_id: int, batch: SketchBatch,
                       creator_ids: Sequence[int] | np.ndarray) -> dict[str, int]:
    """Makes the stored sketches of ``creator_ids`` those of ``batch`` (a scoring run's, see
    :func:`influencers.scoring.audience_pass.sketch_batch`): what ``build_sketches(session,
    workspace_id)`` would write for them, from the memberships the run has already loaded.

    ``creator_ids`` are the creators the batch was computed for (the run's creators);
    creators of the workspace added since are left alone. Only the stored rows'
    parameters and digests are read, not their bytes.
    """
    in_batch = set(np.asarray(creator_ids, dtype=np.int64).tolist())
    stored = _stored_sketches(session, select(Creator.id).where(Creator.workspace_id == workspace_id))
    existing = {cid: row for cid, row in stored.items() if cid in in_batch}
    return _store_sketches(session, batch, existing)


def _stored_sketches(session: Session, creator_ids) -> dict[int, tuple]:
    """creator id -> (sample id, lg_k, seed, format version, digest) of the stored rows of
    ``creator_ids`` (a list or a subquery)."""
    record = AudienceSketchRecord
    return {int(cid): tuple(rest) for cid, *rest in session.execute(
        select(record.creator_id, record.sample_id, record.lg_k, record.seed, record.sketch_format_version,
               record.sketch_digest).where(record.creator_id.in_(creator_ids)))}


def _store_sketches(session: Session, batch: SketchBatch, existing: dict[int, tuple]) -> dict[str, int]:
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
        # Binary COPY: a first scoring run writes ~20,000 sketches (~30 MB); SQLAlchemy's
        # batched INSERT took ~0.95 s of the run's write transaction for them, this ~0.55 s.
        columns = list(rows[0])
        bulk_insert(session, AudienceSketchRecord.__tablename__, columns, (tuple(row.values()) for row in rows),
                    binary_types=postgresql_types(AudienceSketchRecord.__table__, columns))
    else:
        for start in range(0, len(rows), 2000):
            session.execute(insert(AudienceSketchRecord.__table__), rows[start:start + 2000])
    return {"sketched": len(batch), "written": len(rows), "unchanged": len(batch) - len(rows),
            "removed": len(stale)}


def _date(value) -> str | None:
    return None if value is None else (value if isinstance(value, str) else value.isoformat())


def sketch_overlap_report(session: Session, workspace_id: int, creator_ids: Sequence[int], *,
                          platform: str | None = None, num_std_devs: int = NUM_STD_DEVS) -> dict:
    """The overlap report of ``creator_ids`` from their stored sketches (see the module docstring).

    Raises :class:`UnknownCreators`, :class:`MixedPlatforms`, :class:`MissingSketches`
    (a creator's latest sample has no current sketch) and :class:`IncompatibleSketches`.
    Creators with no audience sample at all count as empty audiences (as in the exact report).
    """
    ids = list(dict.fromkeys(int(c) for c in creator_ids))
    creators = {int(cid): (plat, handle, followers) for cid, plat, handle, followers in session.execute(
        select(Creator.id, Creator.platform, Creator.handle, Creator.followers).where(
            Creator.workspace_id == workspace_id, Creator.id.in_(ids))).all()} if ids else {}
    missing = set(ids) - set(creators)
    if missing:
        raise UnknownCreators(missing)
    platforms = {creators[c][0] for c in ids} | ({platform} if platform else set())
    if len(platforms) > 1:
        raise MixedPlatforms(f"creators span platforms {sorted(platforms)}: overlap is computed within one platform")
    latest = _latest_samples(session, ids)
    records = {int(r.creator_id): r for r in session.scalars(
        select(AudienceSketchRecord).where(AudienceSketchRecord.creator_id.in_(ids)))} if ids else {}
    # A sketch of an older format (other keys) does not combine with the others: rebuilt, not read.
    lacking = [c for c in ids if c in latest and (c not in records or records[c].sample_id != latest[c][0]
                                                  or records[c].sketch_format_version != VERSION)]
    if lacking:
        raise MissingSketches(lacking)
    params = {(r.lg_k, r.seed) for c, r in records.items() if c in latest}
    seeds = {s for _, s in params}
    if len(seeds) > 1:
        raise IncompatibleSketches(
            f"the creators' sketches were built with different seeds {sorted(seeds)} and cannot be combined; "
            "rebuild them with one seed (a scoring run does) or use method=exact")
    lg_k, seed = min(params) if params else (DEFAULT_LG_K, DEFAULT_SEED)
    sketches, sizes = [], []
    for c in ids:
        if c in latest:
            sketches.append(AudienceSketch.from_bytes(records[c].sketch))
            sizes.append(records[c].member_count)
        else:
            sketches.append(build_sketch([], lg_k=lg_k, seed=seed))
            sizes.append(0)
    scores = {int(cid): (share, as_of) for cid, share, as_of in session.execute(select(
        CreatorScore.creator_id, CreatorScore.fake_follower_share, CreatorScore.as_of).where(
        CreatorScore.workspace_id == workspace_id, CreatorScore.is_current == true(),
        CreatorScore.creator_id.in_(ids))).all() if share is not None} if ids else {}
    fake = np.array([min(max(float(scores[c][0]), 0.0), 1.0) if c in scores else 0.0 for c in ids])
    followers = np.array([float(creators[c][2]) for c in ids])
    authentic = followers * (1 - fake)
    if ids:
        overlap = sketch_overlap(sketches, num_std_devs)
        reach = sketch_unique_reach(sketches, followers, fake_share=fake, sample_sizes=sizes,
                                    num_std_devs=num_std_devs)
        per_creator = overlap.sizes
    else:
        # No creators (an empty shortlist): the empty set's figures, as the exact report gives.
        empty = [build_sketch([], lg_k=lg_k, seed=seed)]
        overlap = sketch_overlap(empty, num_std_devs)
        reach = sketch_unique_reach(empty, np.zeros(1), fake_share=np.zeros(1), sample_sizes=[0],
                                    num_std_devs=num_std_devs)
        per_creator = []
    total = float(authentic[np.asarray(sizes) > 0].sum())
    k = len(ids)

    def matrix(values) -> list[list[float]]:
        return np.asarray(values, dtype=float).reshape(k, k).tolist()

    rows = []
    for i, c in enumerate(ids):
        weight = authentic[i] / sizes[i] if sizes[i] else 0.0
        rows.append({
            "creator_id": c, "handle": creators[c][1],
            "sample_id": latest[c][0] if c in latest else None,
            "sampled_at": _date(latest[c][1]) if c in latest else None,
            "sketch_created_at": records[c].created_at.isoformat() if c in latest else None,
            "counted_sample_size": int(sizes[i]), "sketch_retained": sketches[i].retained,
            "sketch_exact": bool(overlap.sizes[i].exact),
            "counted_members": overlap.sizes[i].to_dict(),
            "unique_members": overlap.unique[i].to_dict(),
            "unique_share": float(overlap.unique_share[i]),
            "followers": float(followers[i]), "fake_share": float(fake[i]),
            "fake_share_source": "score" if c in scores else "none",
            "member_weight": float(weight),
            "exclusive_reach": {key: value * weight if key in ("estimate", "lower", "upper") else value
                                for key, value in overlap.unique[i].to_dict().items()},
        })
    notes = []
    if any(c not in scores for c in ids):
        notes.append("Some creators have no current score: their fake follower share counts as 0 here "
                     "(run a scoring run, or use method=exact for the sample's measured bot share).")
    if any(c not in latest for c in ids):
        notes.append("Some creators have no audience sample: they count with no measured reach.")
    dates = [latest[c][1] for c in ids if c in latest]
    return {
        "estimation": "sketch",
        "platform": next(iter(platforms), platform),
        "as_of": _date(max(dates)) if dates else None,
        "target": None,
        "sketch": {
            "lg_k": lg_k, "seed": seed, "sketch_format_version": VERSION,
            "relative_standard_error": relative_standard_error(lg_k),
            "num_std_devs": num_std_devs,
            "exact": bool(all(s.exact for s in per_creator)),
            "creators": rows,
            "pairwise": {
                "creator_ids": ids,
                **({"shared": matrix(overlap.shared), "shared_lower": matrix(overlap.shared_lower),
                    "shared_upper": matrix(overlap.shared_upper),
                    "jaccard": matrix(overlap.jaccard), "containment": matrix(overlap.containment)} if ids else
                   dict.fromkeys(("shared", "shared_lower", "shared_upper", "jaccard", "containment"), [])),
            },
            "set": {
                "creators": k,
                "distinct_counted_members": overlap.union.to_dict(),
                "unique_reach": reach.to_dict(),
                "total_audience": total,
                "duplication_factor": total / reach.estimate if reach.estimate > 0 else None,
                "counted_sample_sizes": [int(s) for s in sizes],
            },
        },
        "labels": {"measured": ["sketch.creators.counted_sample_size", "sketch.creators.followers"],
                   "estimated": ["sketch.creators.counted_members", "sketch.creators.unique_members",
                                 "sketch.creators.unique_share", "sketch.creators.exclusive_reach",
                                 "sketch.creators.member_weight", "sketch.pairwise.shared",
                                 "sketch.pairwise.jaccard", "sketch.pairwise.containment",
                                 "sketch.set.distinct_counted_members", "sketch.set.unique_reach",
                                 "sketch.set.total_audience", "sketch.set.duplication_factor"]},
        "fake_share_sources": {"score": FAKE_SHARE_SOURCES["score"],
                               "none": "no current score: assumed 0 in a sketch report"},
        "method": (f"Estimated from stored theta sketches (Apache DataSketches, lg_k={lg_k}, seed={seed}) of each "
                   "creator's latest sample's counted (authentic) members, built by the last scoring run. "
                   "Intersections, differences and unions are sketch set operations with bounds at "
                   f"{num_std_devs} standard deviations; below 2^lg_k members a sketch is exact. Unique reach "
                   "scales each counted member to F x (1 - fake share) / counted members and counts a member "
                   "seen by several creators once at the largest weight."),
        "notes": notes,
    }
