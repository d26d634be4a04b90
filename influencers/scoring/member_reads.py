"""The member-level audience statistics of a whole workspace, computed by the database.

A chunked scoring run (:mod:`influencers.scoring.chunked_run`) judges each range's audiences
against members shared across the whole workspace. What it needs of them
(:class:`~influencers.scoring.audience_peers.MemberStatistics`) comes from GROUP BY queries,
so that what the run's process reads stays small whatever the workspace's size:

* the distinct members created per day (the batch-creation days);
* the farm-shared members: sampled by at least ``farm_min_creators`` creators, no more than
  ``farm_max_related_share`` of the creators with a known category sharing one, nor (of those
  with a known country, or language) a country or a language. Per member and category
  (country, language): how many of its sample rows' creators have it; the largest of those
  against the member's rows whose creator has any, as
  :func:`~influencers.scoring.audience_signals.farm_statistics` judges them in memory;
* the sample rows of the farm-shared members only, from which the unrelated creators
  holding each creator's farm-shared members are counted in memory
  (:func:`~influencers.scoring.audience_signals.unrelated_holders`).
"""
from __future__ import annotations

import numpy as np
from sqlalchemy import and_, func, literal, or_, select
from sqlalchemy.orm import Session

from influencers.creators.models import (
    AudienceMember,
    AudienceSample,
    AudienceSampleMember,
    Creator,
    CreatorCategory,
)
from influencers.scoring.audience_peers import CreatorFacts, MemberStatistics
from influencers.scoring.audience_signals import _codes, batch_days, category_matrix, unrelated_holders
from influencers.scoring.loader import LatestSamples, _epoch_days, _rows, id_set, positions
from influencers.scoring.model import ScoringModel


def member_statistics_by_sql(session: Session, workspace_id: int, samples: LatestSamples, creators: CreatorFacts,
                             models: list[ScoringModel]) -> list[MemberStatistics]:
    """Per model, the :class:`MemberStatistics` of the workspace's latest ``samples``
    (``creators``: every creator of the workspace, ids ascending)."""
    dialect = session.get_bind().dialect.name
    day = _epoch_days(dialect, AudienceMember.created_at)
    sampled_members = select(AudienceSampleMember.member_id).where(
        AudienceSampleMember.sample_id.in_(id_set(session, samples.ids)))
    days, counts = _rows(session, select(day, func.count()).where(
        AudienceMember.workspace_id == workspace_id, AudienceMember.created_at.is_not(None),
        AudienceMember.id.in_(sampled_members)).group_by(day), 2, dtype=np.int64)
    out = []
    for model in models:
        farm_ids = np.sort(_farm_member_ids(session, samples, model))
        sample_id, member_id = _rows(session, select(AudienceSampleMember.sample_id, AudienceSampleMember.member_id)
                                     .where(AudienceSampleMember.sample_id.in_(id_set(session, samples.ids)),
                                            AudienceSampleMember.member_id.in_(id_set(session, farm_ids))),
                                     2, dtype=np.int64)
        creator = samples.creator_position[positions(samples.ids, sample_id)]
        out.append(MemberStatistics(
            batch_days=batch_days(days, counts, model), farm_member_ids=farm_ids,
            **_unrelated(creator, np.searchsorted(farm_ids, member_id), len(farm_ids), creators)))
    return out


def _unrelated(creator: np.ndarray, member: np.ndarray, n_members: int, creators: CreatorFacts) -> dict:
    n = len(creators.creator_ids)
    country_code, _ = _codes(creators.country, n)
    language_code, _ = _codes(creators.language, n)
    category_code, n_categories = _codes(creators.category_name, len(creators.category_creator))
    categories = category_matrix(creators.category_creator, category_code, n, n_categories)
    unrelated = unrelated_holders(creator, member, np.ones(len(member), bool), n, n_members, country_code,
                                  language_code, categories)
    holders = np.flatnonzero(unrelated)
    return {"unrelated_creator_ids": np.asarray(creators.creator_ids, dtype=np.int64)[holders],
            "unrelated_counts": unrelated[holders]}


def _farm_member_ids(session: Session, samples: LatestSamples, model: ScoringModel) -> np.ndarray:
    """The farm-shared members' ids (see the module docstring), by one statement."""
    t = model.threshold
    min_creators, share = int(t("farm_min_creators")), float(t("farm_max_related_share"))
    # Each latest-sample row with its member's number of rows (a window count: one pass over them).
    degree = func.count().over(partition_by=AudienceSampleMember.member_id).label("degree")
    memberships = select(AudienceSampleMember.sample_id, AudienceSampleMember.member_id, degree).where(
        AudienceSampleMember.sample_id.in_(id_set(session, samples.ids))).subquery()
    rows = (select(memberships.c.member_id, AudienceSample.creator_id)
            .join(AudienceSample, AudienceSample.id == memberships.c.sample_id)
            .where(memberships.c.degree >= min_creators).cte("candidate_rows"))

    def spread(value_rows, value, creator_id, known_rows=None):
        """Per member: (its rows ... , the most rows of one value, its rows whose creator has a
        value) as (from clause, member id, top, known) columns."""
        per_value = (select(rows.c.member_id, value.label("value"), func.count().label("n"))
                     .join(value_rows, creator_id == rows.c.creator_id).group_by(rows.c.member_id, value)
                     .subquery())
        top = select(per_value.c.member_id, func.max(per_value.c.n).label("top"),
                     func.sum(per_value.c.n).label("known")).group_by(per_value.c.member_id).subquery()
        if known_rows is None:  # one value per creator: the known rows are the values' rows
            return top, top.c.member_id, top.c.top, top.c.known
        known = (select(rows.c.member_id, func.count().label("known")).where(rows.c.creator_id.in_(known_rows))
                 .group_by(rows.c.member_id).subquery())
        return top.join(known, known.c.member_id == top.c.member_id), top.c.member_id, top.c.top, known.c.known

    with_country = select(Creator.id, Creator.country).where(Creator.country.is_not(None)).subquery()
    with_language = select(Creator.id, Creator.language).where(Creator.language.is_not(None)).subquery()
    categories, member_id, category_top, category_known = spread(
        CreatorCategory, CreatorCategory.category, CreatorCategory.creator_id,
        select(CreatorCategory.creator_id).distinct())
    countries, country_member, country_top, country_known = spread(with_country, with_country.c.country,
                                                                   with_country.c.id)
    languages, language_member, language_top, language_known = spread(with_language, with_language.c.language,
                                                                      with_language.c.id)

    def is_spread(top, known):
        return and_(func.coalesce(known, 0) >= min_creators, top * literal(1.0) <= literal(share) * known)

    stmt = (select(member_id).select_from(categories)
            .outerjoin(countries, country_member == member_id)
            .outerjoin(languages, language_member == member_id)
            .where(is_spread(category_top, category_known),
                   or_(is_spread(country_top, country_known), is_spread(language_top, language_known))))
    return _rows(session, stmt, 1, dtype=np.int64)[0]
