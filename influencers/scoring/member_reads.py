"""The member-level audience statistics of a whole workspace, read a range of member ids at a time.

A chunked scoring run (:mod:`influencers.scoring.chunked_run`) judges each range of creators'
audiences against members shared across the whole workspace
(:class:`~influencers.scoring.audience_peers.MemberStatistics`):

* the distinct members created per day (the batch-creation days), by one GROUP BY;
* the farm-shared members (:func:`~influencers.scoring.audience_signals.farm_members`): a
  member is judged from all its latest-sample rows and nothing else, so the rows are read
  one range of member ids at a time and each range judged alone; only the farm-shared
  members' rows are kept;
* per creator, the unrelated creators holding its farm-shared members
  (:func:`~influencers.scoring.audience_signals.unrelated_holders`), from those rows.

What the run's process holds at once is one range's memberships (about as many as a chunk of
creators has), not the whole workspace's.
"""
from __future__ import annotations

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from influencers.creators.models import AudienceMember, AudienceSampleMember
from influencers.scoring.audience_peers import CreatorFacts, MemberStatistics
from influencers.scoring.audience_signals import (
    _codes,
    _one_hot,
    batch_days,
    category_matrix,
    farm_members,
    unrelated_holders,
)
from influencers.scoring.loader import LatestSamples, _epoch_days, _rows, id_set, positions
from influencers.scoring.model import ScoringModel


def member_statistics_in_ranges(session: Session, workspace_id: int, samples: LatestSamples,
                                creators: CreatorFacts, models: list[ScoringModel], n_ranges: int
                                ) -> list[MemberStatistics]:
    """Per model, the :class:`MemberStatistics` of the workspace's latest ``samples``
    (``creators``: every creator of the workspace, ids ascending), the memberships read in
    ``n_ranges`` ranges of member ids."""
    dialect = session.get_bind().dialect.name
    day = _epoch_days(dialect, AudienceMember.created_at)
    latest = AudienceSampleMember.sample_id.in_(id_set(session, samples.ids))
    days, counts = _rows(session, select(day, func.count()).where(
        AudienceMember.workspace_id == workspace_id, AudienceMember.created_at.is_not(None),
        AudienceMember.id.in_(select(AudienceSampleMember.member_id).where(latest))).group_by(day),
        2, dtype=np.int64)
    n = len(creators.creator_ids)
    country_code, n_countries = _codes(creators.country, n)
    language_code, n_languages = _codes(creators.language, n)
    category_code, n_categories = _codes(creators.category_name, len(creators.category_creator))
    categories = category_matrix(creators.category_creator, category_code, n, n_categories)
    one_hots = (_one_hot(country_code, n_countries), _one_hot(language_code, n_languages))
    farm_rows: list[list[tuple[np.ndarray, np.ndarray]]] = [[] for _ in models]
    low, high = session.execute(select(func.min(AudienceSampleMember.member_id),
                                       func.max(AudienceSampleMember.member_id)).where(latest)).one()
    if low is not None:
        bounds = np.unique(np.linspace(int(low), int(high) + 1, max(n_ranges, 1) + 1).astype(np.int64))
        for first, stop in zip(bounds[:-1].tolist(), bounds[1:].tolist()):
            sample_id, member_id = _rows(session, select(AudienceSampleMember.sample_id, AudienceSampleMember.member_id)
                                         .where(latest, AudienceSampleMember.member_id >= first,
                                                AudienceSampleMember.member_id < stop), 2, dtype=np.int64)
            creator = samples.creator_position[positions(samples.ids, sample_id)]
            member_ids, member = np.unique(member_id, return_inverse=True)
            member = member.ravel()
            for k, model in enumerate(models):
                farm = farm_members(creator, member, n, len(member_ids), country_code, n_countries, language_code,
                                    n_languages, categories, model, one_hots=one_hots)
                rows = farm[member]
                farm_rows[k].append((creator[rows], member_id[rows]))
    out = []
    for model, parts in zip(models, farm_rows):
        creator = np.concatenate([c for c, _m in parts]) if parts else np.zeros(0, np.int64)
        member_id = np.concatenate([m for _c, m in parts]) if parts else np.zeros(0, np.int64)
        farm_ids, member = np.unique(member_id, return_inverse=True)
        unrelated = unrelated_holders(creator, member.ravel(), np.ones(len(creator), bool), n, len(farm_ids),
                                      country_code, language_code, categories)
        holders = np.flatnonzero(unrelated)
        out.append(MemberStatistics(batch_days=batch_days(days, counts, model), farm_member_ids=farm_ids,
                                    unrelated_creator_ids=np.asarray(creators.creator_ids, dtype=np.int64)[holders],
                                    unrelated_counts=unrelated[holders]))
    return out
