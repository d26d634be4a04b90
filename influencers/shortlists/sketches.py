"""Rebuilding the stored per-creator theta sketches, and the overlap report answered from them.

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

Scoring runs store the same rows from the memberships they have already loaded
(:mod:`influencers.scoring.sketch_store`), so sketches are as fresh as the scores;
:func:`build_sketches` is the rebuild for a few creators (after an erasure) and the
reference the run's rows are checked against.

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
from sqlalchemy import select, true
from sqlalchemy.orm import Session

from influencers.creators.models import AudienceSample, Creator
from influencers.errors import Conflict
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
from influencers.scoring.sketch_store import store_sketches, stored_sketches
from influencers.scoring.store import AudienceSketchRecord, CreatorScore
from influencers.shortlists.loader import (
    FAKE_SHARE_SOURCES,
    MixedPlatforms,
    UnknownCreators,
    load_audience,
)

__all__ = ["build_sketches", "sketch_overlap_report", "MissingSketches", "IncompatibleSketches"]

NUM_STD_DEVS = 2


class MissingSketches(Conflict):
    """Creators whose latest sample has no stored sketch (yet): a scoring run builds them."""

    def __init__(self, ids):
        self.ids = sorted(ids)
        super().__init__(
            f"creators {self.ids[:20]} have no stored audience sketch of their latest sample; "
            "run a scoring run (POST /v1/scoring-runs) to build the sketches, or use method=exact")


class IncompatibleSketches(Conflict):
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

    existing = stored_sketches(session, list(platforms)) if platforms else {}
    ids = list(counted)
    members = np.concatenate([counted[cid] for cid in ids]) if ids else np.zeros(0, np.int64)
    position = np.searchsorted(keyed_ids, members)
    if not (position < len(keyed_ids)).all() or not np.array_equal(keyed_ids[position], members):
        raise LookupError("audience members changed within one transaction")
    batch = SketchBatch.build(ids, [latest[cid][0] for cid in ids], [latest[cid][1] for cid in ids],
                              sketch_keys[position], [len(counted[cid]) for cid in ids], lg_k=lg_k, seed=seed)
    return store_sketches(session, batch, existing)


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
        raise MixedPlatforms(platforms)
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
