"""Reads what overlap and the optimiser need from the database, set-based.

For a set of creator ids of one workspace and platform: the creator x member
incidence matrix of their *latest* audience samples, followers, the current fake
follower share, an authentic-member mask and the member demographics target
masks are built from. Five queries whatever the number of creators (creators,
latest samples, memberships, members, current scores); ids are mapped to array
positions with ``searchsorted``, never a query per creator.

Authenticity: a member is bot-like when scoring's audience classification
(:func:`influencers.scoring.audience.classify_memberships`, with the
workspace's active model thresholds) calls it ``suspicious`` in any of the
samples it appears in. Fake follower share per creator: the current stored
score's ``fake_follower_share`` when the creator has one, otherwise the
measured bot-like share of its latest sample (which scales exactly like the
member mask alone), otherwise (no sample either) 0 -- each creator says which.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sqlalchemy import select, true
from sqlalchemy.orm import Session

from influencers.creators.models import Creator
from influencers.errors import InvalidInput
from influencers.overlap.incidence import Incidence, incidence_from_pairs
from influencers.scoring.active_model import active_scoring_model
from influencers.scoring.audience import SUSPICIOUS, classify_memberships
from influencers.scoring.inputs import PLATFORM_CODE, ScoringInputs, factorized
from influencers.scoring.loader import (
    distinct_ids,
    id_set,
    positions,
    read_latest_samples,
    read_members,
    read_memberships,
)
from influencers.scoring.store import CreatorScore

FAKE_SHARE_SOURCES = {
    "score": "current stored score (fake_follower_share of the creator's latest scoring run)",
    "sample": "no current score: the bot-like share measured on the latest audience sample",
    "none": "no current score and no audience sample: assumed 0 (the creator adds no measured reach)",
}


class MixedPlatforms(InvalidInput):
    """The creators are not all on one platform (overlap needs a shared member id space).
    ``field``: the input that listed them (None when a stored shortlist holds them)."""

    def __init__(self, platforms, *, field: str | None = "creator_ids"):
        message = f"creators span platforms {sorted(platforms)}: overlap is computed within one platform"
        super().__init__(field, message if field else None, message=message)


class UnknownCreators(InvalidInput):
    def __init__(self, ids):
        self.ids = sorted(ids)
        super().__init__("creator_ids", f"unknown creators: {self.ids[:20]}",
                         message=f"No creators {self.ids[:20]} in this workspace.")


@dataclass
class AudienceData:
    """Everything overlap needs, row ``i`` = ``creator_ids[i]``, column ``m`` = ``member_ids[m]``."""

    platform: str | None
    incidence: Incidence
    handles: list[str]
    followers: np.ndarray
    fake_share: np.ndarray
    fake_share_source: list[str]          # keys of FAKE_SHARE_SOURCES
    score_as_of: list[dt.date | None]
    sampled_at: list[dt.date | None]
    authentic: np.ndarray                 # bool per member column
    member_country: pd.Categorical       # coded (influencers.scoring.inputs.coded), per member column
    member_age_range: pd.Categorical
    member_gender: pd.Categorical
    model_version: str
    notes: list[str] = field(default_factory=list)

    @property
    def creator_ids(self) -> tuple:
        return self.incidence.creator_ids

    @property
    def as_of(self) -> dt.date | None:
        dates = [d for d in self.sampled_at if d is not None]
        return max(dates) if dates else None

    def target_mask(self, *, country: Sequence[str] | None = None, age_range: Sequence[str] | None = None,
                    gender: Sequence[str] | None = None) -> np.ndarray | None:
        """Members matching every given dimension (any of its values); unknown values never match.

        ``None`` when no dimension is given (every member is in the target).
        """
        mask = None
        for values, column, norm in ((country, self.member_country, str.upper),
                                     (age_range, self.member_age_range, str),
                                     (gender, self.member_gender, str.lower)):
            if not values:
                continue
            wanted = {norm(v) for v in values}
            codes, distinct = factorized(column)
            match = np.isin(codes, [code for code, value in enumerate(distinct.tolist()) if value in wanted])
            mask = match if mask is None else mask & match
        return mask


# What the classification and the target masks read of each member.
_MEMBER_COLUMNS = ("followers", "following", "posts_count", "has_avatar", "bio_length", "created_at", "last_post_at",
                   "country", "gender", "age_range")


def _rows(session: Session, stmt) -> list[tuple]:
    return [tuple(r) for r in session.execute(stmt).all()]


def load_audience(session: Session, workspace_id: int, creator_ids: Sequence[int], *,
                  platform: str | None = None) -> AudienceData:
    """The audience data of ``creator_ids`` (kept in the given order, duplicates dropped).

    Raises :class:`UnknownCreators` for ids not in the workspace and
    :class:`MixedPlatforms` when they span platforms (or differ from ``platform``).
    """
    ids = list(dict.fromkeys(int(c) for c in creator_ids))
    creators = {}
    if ids:
        for cid, plat, handle, followers in _rows(session, select(
                Creator.id, Creator.platform, Creator.handle, Creator.followers).where(
                Creator.workspace_id == workspace_id, Creator.id.in_(ids))):
            creators[cid] = (plat, handle, followers)
    missing = set(ids) - set(creators)
    if missing:
        raise UnknownCreators(missing)
    platforms = {creators[c][0] for c in ids} | ({platform} if platform else set())
    if len(platforms) > 1:
        raise MixedPlatforms(platforms)
    platform = next(iter(platforms), platform)
    k = len(ids)
    # Position in ``ids`` of each id in ascending order (the order the loader reads in).
    row_of_sorted = np.argsort(np.array(ids, dtype=np.int64)) if k else np.zeros(0, np.int64)
    sorted_ids = np.array(ids, dtype=np.int64)[row_of_sorted]
    samples = read_latest_samples(session, id_set(session, sorted_ids), sorted_ids)
    sampled_at: list[dt.date | None] = [None] * k
    for row, date in zip(row_of_sorted[samples.creator_position].tolist(),
                         samples.sample_date[samples.creator_position].astype(object).tolist()):
        sampled_at[row] = date
    membership_samples, membership_members = read_memberships(session, samples.ids)
    member_ids = distinct_ids(membership_members)
    members = read_members(session, workspace_id, member_ids, _MEMBER_COLUMNS)
    pair_rows = row_of_sorted[samples.creator_position[positions(samples.ids, membership_samples)]]
    pair_cols = positions(member_ids, membership_members)
    incidence = incidence_from_pairs(pair_rows, pair_cols, n_creators=k, creator_ids=ids, member_keys=member_ids)

    # Authenticity: scoring's per-sample-row classification, a member is bot-like if any row says so.
    model, model_version = active_scoring_model(session, workspace_id)
    n_members = len(member_ids)
    authentic = np.ones(n_members, dtype=bool)
    bot_counts = np.zeros(k, dtype=np.int64)
    if len(pair_rows):
        sample_date = np.full(k, np.datetime64("NaT", "D"))
        sample_date[row_of_sorted[samples.creator_position]] = samples.sample_date[samples.creator_position]
        inputs = ScoringInputs(
            platform=np.full(k, PLATFORM_CODE[platform], dtype=np.int64),
            followers=np.array([creators[c][2] for c in ids], dtype=float),
            sample_date=sample_date, sample_creator=pair_rows, sample_member=pair_cols,
            **{name: values for name, values in members.items() if name != "member_gender"},
        )
        kind, _code = classify_memberships(inputs, model)
        bot_rows = kind == SUSPICIOUS
        authentic[pair_cols[bot_rows]] = False
        bot_counts = np.bincount(pair_rows[bot_rows], minlength=k)

    # Current fake follower share: stored scores first, then the sample's measured bot share.
    scores = {cid: (share, as_of) for cid, share, as_of in _rows(session, select(
        CreatorScore.creator_id, CreatorScore.fake_follower_share, CreatorScore.as_of).where(
        CreatorScore.workspace_id == workspace_id, CreatorScore.is_current == true(),
        CreatorScore.creator_id.in_(ids))) if share is not None} if ids else {}
    sizes = incidence.sample_sizes
    fake = np.zeros(k)
    source: list[str] = []
    score_as_of: list[dt.date | None] = []
    for i, cid in enumerate(ids):
        if cid in scores:
            fake[i] = min(max(float(scores[cid][0]), 0.0), 1.0)
            source.append("score")
            score_as_of.append(scores[cid][1])
        elif sizes[i] > 0:
            fake[i] = bot_counts[i] / sizes[i]
            source.append("sample")
            score_as_of.append(None)
        else:
            source.append("none")
            score_as_of.append(None)
    notes = []
    if any(s == "sample" for s in source):
        notes.append("Some creators have no current score: their fake follower share is the bot-like share "
                     "of their latest sample (run a scoring run for the full estimate).")
    if any(s == "none" for s in source):
        notes.append("Some creators have no audience sample: they count with no measured reach.")
    return AudienceData(
        platform=platform, incidence=incidence, handles=[creators[c][1] for c in ids],
        followers=np.array([creators[c][2] for c in ids], dtype=float), fake_share=fake,
        fake_share_source=source, score_as_of=score_as_of, sampled_at=sampled_at, authentic=authentic,
        member_country=members["member_country"], member_gender=members["member_gender"],
        member_age_range=members["member_age_range"], model_version=model_version, notes=notes,
    )
