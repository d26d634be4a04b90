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

:func:`estimate_overlap` estimates the overlap report's figures from stored sketches
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
from dataclasses import dataclass

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
    SketchEstimate,
    SketchOverlap,
    build_sketch,
    sketch_overlap,
    sketch_unique_reach,
)
from influencers.scoring.audience_pass import SketchBatch
from influencers.scoring.loader import distinct_ids, read_members
from influencers.scoring.sketch_store import store_sketches, stored_sketches
from influencers.scoring.store import AudienceSketchRecord, CreatorScore
from influencers.shortlists.loader import (
    MixedPlatforms,
    UnknownCreators,
    load_audience,
)

__all__ = ["build_sketches", "estimate_overlap", "EstimatedOverlap", "MissingSketches", "IncompatibleSketches"]

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


@dataclass(frozen=True)
class EstimatedOverlap:
    """The overlap of creators estimated from their stored sketches: plain values, per creator in
    ``creator_ids`` order (the API's document is written by ``api/shortlists/documents``)."""

    creator_ids: list[int]
    handles: list[str]
    platform: str | None
    lg_k: int
    seed: int
    num_std_devs: int
    format_version: int
    sample_ids: list[int | None]  # the latest sample, None for a creator without one
    sampled_at: list  # its date (as stored), None without one
    sketch_created_at: list[dt.datetime | None]
    counted_sample_sizes: list[int]
    sketches: list[AudienceSketch]
    followers: np.ndarray
    fake_share: np.ndarray  # from the current score, 0 without one
    scored: list[bool]  # whether the creator has a current score
    member_weights: np.ndarray  # F (1 - fake share) / counted members, 0 without members
    overlap: SketchOverlap  # of the creators' sketches (of one empty sketch when there are none)
    unique_reach: SketchEstimate
    total_audience: float  # authentic followers of the creators with counted members
    as_of: object  # the latest sample's date, None without samples

    @property
    def sampled(self) -> list[bool]:
        return [sample_id is not None for sample_id in self.sample_ids]


def estimate_overlap(session: Session, workspace_id: int, creator_ids: Sequence[int], *,
                     platform: str | None = None, num_std_devs: int = NUM_STD_DEVS) -> EstimatedOverlap:
    """The overlap of ``creator_ids`` from their stored sketches (see the module docstring).

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
    else:
        # No creators (an empty shortlist): the empty set's figures, as the exact report gives.
        empty = [build_sketch([], lg_k=lg_k, seed=seed)]
        overlap = sketch_overlap(empty, num_std_devs)
        reach = sketch_unique_reach(empty, np.zeros(1), fake_share=np.zeros(1), sample_sizes=[0],
                                    num_std_devs=num_std_devs)
    dates = [latest[c][1] for c in ids if c in latest]
    return EstimatedOverlap(
        creator_ids=ids, handles=[creators[c][1] for c in ids], platform=next(iter(platforms), platform),
        lg_k=lg_k, seed=seed, num_std_devs=num_std_devs, format_version=VERSION,
        sample_ids=[latest[c][0] if c in latest else None for c in ids],
        sampled_at=[latest[c][1] if c in latest else None for c in ids],
        sketch_created_at=[records[c].created_at if c in latest else None for c in ids],
        counted_sample_sizes=[int(size) for size in sizes], sketches=sketches, followers=followers,
        fake_share=fake, scored=[c in scores for c in ids],
        member_weights=np.array([authentic[i] / sizes[i] if sizes[i] else 0.0 for i in range(len(ids))]),
        overlap=overlap, unique_reach=reach, total_audience=float(authentic[np.asarray(sizes) > 0].sum()),
        as_of=max(dates) if dates else None)
