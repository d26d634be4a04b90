"""Shortlists (CRUD with conditional updates), overlap reports and the shortlist optimiser over the store.

Functions take a session and the caller's workspace id; every query is scoped
to that workspace, so another workspace's shortlist or creator is not found.
The numbers come from the pure core (:mod:`influencers.overlap.report`,
:mod:`influencers.overlap.optimiser`) on data read by :mod:`.loader`.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import Select, delete, select, update
from sqlalchemy.orm import Session

from influencers.creators.models import Creator
from influencers.db import utcnow
from influencers.errors import InvalidInput, NotFound, StaleVersion
from influencers.overlap.optimiser import ShortlistResult, optimise_shortlist
from influencers.overlap.report import OverlapReport, overlap_report
from influencers.shortlists.loader import (
    AudienceData,
    MixedPlatforms,
    UnknownCreators,
    load_audience,
)
from influencers.shortlists.models import Shortlist, ShortlistEntry

__all__ = ["MixedPlatforms", "UnknownCreators", "NotOnShortlist", "TooManyEntries",
           "InfeasibleOptimisation", "Target", "ExactOverlap", "Optimisation"]

MAX_ENTRIES = 1000
N_BOOT = 1000


class NotOnShortlist(NotFound):
    def __init__(self, shortlist_id: int, creator_id: int):
        super().__init__(f"Creator {creator_id} is not on shortlist {shortlist_id}.")


class TooManyEntries(InvalidInput):
    def __init__(self):
        super().__init__(message=f"a shortlist holds at most {MAX_ENTRIES} creators")


# --------------------------------------------------------------------------- shortlists


def list_shortlists_select(workspace_id: int) -> Select:
    return select(Shortlist).where(Shortlist.workspace_id == workspace_id).order_by(Shortlist.id.desc())


def get_shortlist(session: Session, workspace_id: int, shortlist_id: int) -> Shortlist:
    shortlist = session.scalar(select(Shortlist).where(Shortlist.id == shortlist_id,
                                                       Shortlist.workspace_id == workspace_id))
    if shortlist is None:
        raise NotFound(f"No shortlist {shortlist_id} in this workspace.")
    return shortlist


def _check_creators(session: Session, workspace_id: int, creator_ids: Sequence[int]) -> None:
    ids = set(creator_ids)
    if not ids:
        return
    found = set(session.scalars(select(Creator.id).where(Creator.workspace_id == workspace_id, Creator.id.in_(ids))))
    if ids - found:
        raise UnknownCreators(ids - found)


def _upsert_entries(session: Session, shortlist: Shortlist, items: list[dict[str, Any]]) -> None:
    existing = {e.creator_id: e for e in shortlist.entries}
    now = utcnow()
    position = max((e.position for e in shortlist.entries), default=0)
    for item in items:
        entry = existing.get(item["creator_id"])
        if entry is None:
            position += 1
            entry = ShortlistEntry(creator_id=item["creator_id"], note=item.get("note"), added_at=now,
                                   position=position)
            shortlist.entries.append(entry)
            existing[item["creator_id"]] = entry
        elif "note" in item:
            entry.note = item["note"]
    if len(existing) > MAX_ENTRIES:
        raise TooManyEntries()


def entry_items(body: dict) -> list[dict]:
    """The entries a body names: ``creators`` ([{creator_id, note}]) or plain ``creator_ids``."""
    if body.get("creators") is not None:
        return list(body["creators"])
    return [{"creator_id": c} for c in body.get("creator_ids") or []]


def create_shortlist(session: Session, workspace_id: int, body: dict) -> Shortlist:
    items = entry_items(body)
    _check_creators(session, workspace_id, [i["creator_id"] for i in items])
    now = utcnow()
    shortlist = Shortlist(workspace_id=workspace_id, name=body["name"], notes=body.get("notes"),
                          created_at=now, updated_at=now, version=1)
    session.add(shortlist)
    session.flush()
    _upsert_entries(session, shortlist, items)
    session.flush()
    return shortlist


def _bump(session: Session, workspace_id: int, shortlist_id: int, expected_version: int | None, **values) -> None:
    stmt = update(Shortlist).where(Shortlist.id == shortlist_id, Shortlist.workspace_id == workspace_id)
    if expected_version is not None:
        stmt = stmt.where(Shortlist.version == expected_version)
    result = session.execute(stmt.values(**values, version=Shortlist.version + 1, updated_at=utcnow())
                             .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise StaleVersion.of("shortlist")


def _reload(session: Session, workspace_id: int, shortlist_id: int) -> Shortlist:
    shortlist = get_shortlist(session, workspace_id, shortlist_id)
    session.refresh(shortlist)
    return shortlist


def update_shortlist(session: Session, workspace_id: int, shortlist_id: int, expected_version: int,
                     changes: dict[str, Any]) -> Shortlist:
    """Conditional update (the version check is in the UPDATE itself)."""
    _bump(session, workspace_id, shortlist_id, expected_version, **changes)
    return _reload(session, workspace_id, shortlist_id)


def delete_shortlist(session: Session, workspace_id: int, shortlist_id: int, expected_version: int) -> None:
    result = session.execute(delete(Shortlist).where(
        Shortlist.id == shortlist_id, Shortlist.workspace_id == workspace_id, Shortlist.version == expected_version))
    if result.rowcount != 1:
        raise StaleVersion.of("shortlist")


def overlap_creator_ids(session: Session, workspace_id: int, shortlist: Shortlist) -> list[int]:
    """The shortlist's creators for its overlap report; MixedPlatforms (naming no input: the
    stored shortlist holds them) when they span platforms."""
    ids = shortlist.creator_ids
    platforms = set(session.scalars(select(Creator.platform).distinct().where(
        Creator.workspace_id == workspace_id, Creator.id.in_(ids)))) if ids else set()
    if len(platforms) > 1:
        raise MixedPlatforms(platforms, field=None)
    return ids


def add_entries(session: Session, workspace_id: int, shortlist: Shortlist, items: list[dict],
                expected_version: int | None = None) -> Shortlist:
    """Adds creators (an existing entry keeps its ``added_at``; a given note replaces its note)."""
    _check_creators(session, workspace_id, [i["creator_id"] for i in items])
    _bump(session, workspace_id, shortlist.id, expected_version)
    _upsert_entries(session, shortlist, items)
    session.flush()
    return _reload(session, workspace_id, shortlist.id)


def remove_entry(session: Session, workspace_id: int, shortlist: Shortlist, creator_id: int) -> Shortlist:
    result = session.execute(delete(ShortlistEntry).where(
        ShortlistEntry.shortlist_id == shortlist.id, ShortlistEntry.creator_id == creator_id))
    if result.rowcount != 1:
        raise NotOnShortlist(shortlist.id, creator_id)
    _bump(session, workspace_id, shortlist.id, None)
    session.expire(shortlist)
    return _reload(session, workspace_id, shortlist.id)


def handles_of(session: Session, creator_ids: Sequence[int]) -> dict[int, tuple[str, str]]:
    if not creator_ids:
        return {}
    return {cid: (platform, handle) for cid, platform, handle in session.execute(
        select(Creator.id, Creator.platform, Creator.handle).where(Creator.id.in_(list(creator_ids)))).all()}


# --------------------------------------------------------------------------- overlap


@dataclass
class Target:
    """The target audience: only members matching every given dimension count."""

    country: list[str] = field(default_factory=list)
    age_range: list[str] = field(default_factory=list)
    gender: list[str] = field(default_factory=list)

    def given(self) -> bool:
        return bool(self.country or self.age_range or self.gender)

    def to_dict(self) -> dict | None:
        return {"country": self.country, "age_range": self.age_range, "gender": self.gender} if self.given() else None


@dataclass
class ExactOverlap:
    """An exact overlap report (:func:`~influencers.overlap.report.overlap_report`) with the
    audience data it was computed from and the target it counted."""

    report: OverlapReport
    data: AudienceData
    target: Target
    target_mask_applied: bool

    @property
    def bot_like_members(self) -> list[int]:
        """Per creator: the sampled members of its latest sample classified bot-like."""
        matrix, authentic = self.data.incidence.matrix, self.data.authentic
        return [int(matrix.indptr[i + 1] - matrix.indptr[i]
                    - np.count_nonzero(authentic[matrix.indices[matrix.indptr[i]:matrix.indptr[i + 1]]]))
                for i in range(len(self.data.creator_ids))]


def overlap_for_creators(session: Session, workspace_id: int, creator_ids: Sequence[int], *,
                         target: Target | None = None, platform: str | None = None,
                         confidence: float = 0.95) -> ExactOverlap:
    """The overlap and unique-reach report of ``creator_ids`` (one platform)."""
    target = target or Target()
    data = load_audience(session, workspace_id, creator_ids, platform=platform)
    mask = data.target_mask(country=target.country, age_range=target.age_range, gender=target.gender)
    report = overlap_report(data.incidence, data.followers, fake_share=data.fake_share, authentic=data.authentic,
                            target=mask, n_boot=N_BOOT, confidence=confidence, seed=0)
    return ExactOverlap(report=report, data=data, target=target, target_mask_applied=mask is not None)


# --------------------------------------------------------------------------- optimiser


class InfeasibleOptimisation(InvalidInput):
    """A request the optimiser cannot answer (e.g. the must-keep creators alone exceed the budget)."""

    def __init__(self, message: str):
        super().__init__(message=message)


@dataclass
class Optimisation:
    """The optimiser's choice among ``candidate_ids`` with the audience data it was made on."""

    result: ShortlistResult
    data: AudienceData
    candidate_ids: list[int]      # must-keep creators first, then the candidates, without duplicates
    excluded: list[int]
    must_keep: list[int]
    budget: int | None            # minor units
    target: Target

    @property
    def chosen_ids(self) -> list[int]:
        return [pick.creator_id for pick in self.result.picks]


def optimise(session: Session, workspace_id: int, candidate_ids: Sequence[int], *, budget: int | None = None,
             fees: dict[int, int] | None = None, default_fee: int | None = None, k: int | None = None,
             target: Target | None = None, must_keep: Sequence[int] = (), exclude: Sequence[int] = (),
             platform: str | None = None) -> Optimisation:
    """Chooses the candidates maximising unique authentic (target) reach.

    Raises :class:`UnknownCreators`, :class:`MixedPlatforms` and :class:`InfeasibleOptimisation`.
    """
    target = target or Target()
    ids = list(dict.fromkeys([*must_keep, *candidate_ids]))
    data = load_audience(session, workspace_id, ids, platform=platform)
    fees = fees or {}
    excluded = set(exclude)
    cost = None
    if budget is not None or fees or default_fee is not None:
        unpriced = [c for c in ids if c not in fees and default_fee is None and c not in excluded]
        if budget is not None and unpriced:
            raise InfeasibleOptimisation(
                message=f"no fee for creators {unpriced[:20]}: give fees for them or a default_fee_minor")
        cost = np.array([fees.get(c, default_fee if default_fee is not None else 0) for c in ids], dtype=float)
    mask = data.target_mask(country=target.country, age_range=target.age_range, gender=target.gender)
    try:
        result = optimise_shortlist(
            data.incidence, data.followers, fees=cost, budget=None if budget is None else float(budget), k=k,
            fake_share=data.fake_share, authentic=data.authentic, target=mask, must_keep=list(must_keep),
            exclude=[c for c in ids if c in excluded])
    except (ValueError, KeyError) as error:
        raise InfeasibleOptimisation(message=str(error.args[0] if error.args else error)) from error
    return Optimisation(result=result, data=data, candidate_ids=ids, excluded=[c for c in ids if c in excluded],
                        must_keep=list(must_keep), budget=budget, target=target)


def save_as_shortlist(session: Session, workspace_id: int, name: str, creator_ids: Sequence[int],
                      note: str | None = None) -> Shortlist:
    return create_shortlist(session, workspace_id, {
        "name": name, "notes": note, "creators": [{"creator_id": c} for c in creator_ids]})
