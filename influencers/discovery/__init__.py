"""Discovery: search scored creators with store filters, score filters and audience composition.

Above scoring, creators and brands (it combines their filters); none of them knows it.

One SELECT over creators joined to their current score (:func:`discovery_select`);
category and audience-composition filters are ``IN`` subqueries (see
:func:`audience_condition`),
flag filters are bit tests. :func:`search_page` answers a page and its total in
one pass over the matches (or from the columnar index), then reads the page's rows by id
(:func:`page_rows`: plain records, two statements whatever the page's size). Only scored
creators are found (run a scoring run after importing).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from types import SimpleNamespace

import numpy as np
from sqlalchemy import Select, bindparam, exists, func, literal_column, or_, select, true
from sqlalchemy.orm import Session

from influencers.brands.discovery import brand_filters, growth_for
from influencers.creators.models import Creator, CreatorCategory
from influencers.creators.service import CreatorFilters, apply_creator_filters, order_by_sort
from influencers.discovery.index import SCORE_COLUMNS, ColumnarIndex, usable_index
from influencers.scoring.attributes import attribute_code, dimension_codes
from influencers.scoring.records import scored
from influencers.scoring.store import FLAG_BITS, LOOKUP_MIN_SHARE, AudienceShare, CreatorScore

# The index sorts by the same score columns (one list, so the two paths cannot disagree).
SORTABLE = {**SCORE_COLUMNS, "followers": Creator.followers, "handle": Creator.handle}


@dataclass(frozen=True)
class AudienceCondition:
    """At least ``min_share`` of the latest audience sample has ``dimension`` = ``value``
    (a value that no stored member can have is a ``ValueError``: the API checks the form first)."""

    dimension: str
    value: str
    min_share: float

    @property
    def attribute(self) -> int:
        code = attribute_code(self.dimension, self.value)
        if code is None:
            raise ValueError(f"{self.dimension} {self.value!r} is not a value audience members can have")
        return code


@dataclass
class DiscoveryQuery:
    creator: CreatorFilters = field(default_factory=CreatorFilters)
    min_engagement_rate: float | None = None
    max_engagement_rate: float | None = None
    min_authenticity: float | None = None
    max_fake_follower_share: float | None = None
    min_score: float | None = None
    with_flags: list[str] = field(default_factory=list)
    without_flags: list[str] = field(default_factory=list)
    audience: list[AudienceCondition] = field(default_factory=list)
    sort: str = "-score"
    # Brand, contact and growth filters (influencers.brands.discovery).
    mentions_brand: str | None = None
    mention_kind: str = "any"
    mention_within_days: int = 90
    not_sponsored_by: str | None = None
    not_sponsored_by_group: str | None = None
    sponsored_within_days: int = 90
    has_contact: bool | None = None
    min_growth_30d: float | None = None
    max_growth_30d: float | None = None
    min_growth_90d: float | None = None
    max_growth_90d: float | None = None


def discovery_select(workspace_id: int, query: DiscoveryQuery) -> Select:
    stmt = (
        select(Creator, CreatorScore)
        .join(CreatorScore, (CreatorScore.creator_id == Creator.id) & (CreatorScore.is_current == true()))
        .where(Creator.workspace_id == workspace_id, CreatorScore.workspace_id == workspace_id)
    )
    stmt = apply_creator_filters(stmt, query.creator)
    bounds = [
        (CreatorScore.engagement_rate, query.min_engagement_rate, query.max_engagement_rate),
        (CreatorScore.authenticity, query.min_authenticity, None),
        (CreatorScore.fake_follower_share, None, query.max_fake_follower_share),
        (CreatorScore.score, query.min_score, None),
    ]
    for column, low, high in bounds:
        if low is not None:
            stmt = stmt.where(column >= low)
        if high is not None:
            stmt = stmt.where(column <= high)
    if query.with_flags:
        mask = sum(FLAG_BITS[name] for name in query.with_flags)
        stmt = stmt.where(CreatorScore.flag_bits.op("&")(mask) == mask)
    if query.without_flags:
        mask = sum(FLAG_BITS[name] for name in query.without_flags)
        # "< 1" rather than "= 0" (the same for a non-negative bit test): PostgreSQL has
        # no statistics on the expression and assumes an equality keeps 0.5% of the rows,
        # an inequality a third. Most creators lack any given flag, so "= 0" made it
        # start from a handful of expected scores and nested-loop over ~100k real ones.
        stmt = stmt.where(CreatorScore.flag_bits.op("&")(mask) < 1)
    for condition in query.audience:
        stmt = stmt.where(audience_condition(condition))
    stmt = stmt.where(*brand_filters(workspace_id, query))
    return order_by_sort(stmt, query.sort, SORTABLE)


def audience_condition(condition: AudienceCondition):
    """The WHERE term of one audience-composition condition on ``creators``.

    From ``LOOKUP_MIN_SHARE`` up: an uncorrelated IN answered from the covering partial
    (attribute, share, creator_id) index, whose condition is repeated literally (SQLite
    matches it term for term; a bound parameter would not do). Below it the index does
    not hold every matching row: a correlated EXISTS probes the primary key (creator,
    attribute) of each candidate creator instead -- the same result, without the index.
    """
    matching = [AudienceShare.attribute == condition.attribute, AudienceShare.share >= condition.min_share]
    if condition.min_share >= LOOKUP_MIN_SHARE:
        return Creator.id.in_(select(AudienceShare.creator_id).where(
            *matching, AudienceShare.share >= literal_column(repr(LOOKUP_MIN_SHARE))))
    return exists().where(AudienceShare.creator_id == Creator.id, *matching)


@dataclass
class SearchPage:
    """One page of a search: (creator, current score) records in order (:func:`page_rows`), the
    number of matches, and each found creator's follower growth by id (as ``growth_for`` reports it)."""

    rows: list[tuple[SimpleNamespace, SimpleNamespace]]
    total: int
    growth: dict[int, dict] = field(default_factory=dict)


# What a page's row holds: the creator's columns a response shows, and its current score's
# (those its summary shows).
CREATOR_FIELDS = ("id", "platform", "handle", "display_name", "bio", "country", "language", "followers",
                  "following", "posts_count", "verified", "email", "website", "avatar_url", "joined_at",
                  "created_at", "updated_at", "version")
SCORE_FIELDS = ("run_id", "is_current", "model_version", "as_of", "score", "authenticity", "fake_follower_share",
                "fake_follower_share_low", "fake_follower_share_high", "reachable_share", "engagement_rate",
                "engagement_rate_views", "estimated_reach", "sample_size", "confidence", "flags")
_creators, _scores, _categories = Creator.__table__, CreatorScore.__table__, CreatorCategory.__table__
# Core statements built once (a page read costs their execution only, not their construction).
_PAGE_ROWS = (
    select(*(_creators.c[name] for name in CREATOR_FIELDS), *(_scores.c[name] for name in SCORE_FIELDS))
    .join(_scores, (_scores.c.creator_id == _creators.c.id) & (_scores.c.is_current == true()))
    .where(_creators.c.workspace_id == bindparam("workspace_id"), _scores.c.workspace_id == bindparam("workspace_id"),
           _creators.c.id.in_(bindparam("ids", expanding=True))))
_PAGE_CATEGORIES = (select(_categories.c.creator_id, _categories.c.category)
                    .where(_categories.c.creator_id.in_(bindparam("ids", expanding=True)))
                    .order_by(_categories.c.creator_id, _categories.c.category))


def page_rows(session: Session, workspace_id: int, ids: list[int]) -> list[tuple[SimpleNamespace, SimpleNamespace]]:
    """(creator, current score) records of the scored creators among ``ids`` that belong to the
    workspace, in the order of ``ids``; a creator record has its ``categories`` (sorted) too.

    Plain records rather than ORM objects: a page is only read and serialised, and loading it
    through the ORM (identity map, a second query per relationship) cost more than the search."""
    if not ids:
        return []
    width = len(CREATOR_FIELDS)
    found = {}
    for row in session.execute(_PAGE_ROWS, {"workspace_id": workspace_id, "ids": ids}):
        creator = SimpleNamespace(**dict(zip(CREATOR_FIELDS, row[:width])), categories=[])
        found[creator.id] = (creator, SimpleNamespace(**dict(zip(SCORE_FIELDS, row[width:]))))
    if found:
        for creator_id, category in session.execute(_PAGE_CATEGORIES, {"ids": list(found)}):
            found[creator_id][0].categories.append(category)
    return [found[i] for i in ids if i in found]


def _matches_cte(workspace_id: int, query: DiscoveryQuery):
    sort_column = SORTABLE[query.sort.lstrip("-")]
    return (
        discovery_select(workspace_id, query)
        .order_by(None)
        # Only columns of ix_creator_scores_creator (and creators' key): PostgreSQL can
        # then answer the score side from the index alone.
        .with_only_columns(Creator.id.label("creator_id"), sort_column.label("sort_key"))
        .cte("matches")
        .prefix_with("MATERIALIZED")
    )


def _page_order(query: DiscoveryQuery, table) -> tuple:
    sort_key = table.c.sort_key.desc() if query.sort.startswith("-") else table.c.sort_key.asc()
    return sort_key, table.c.creator_id.asc()


def page_ids_select(workspace_id: int, query: DiscoveryQuery, *, offset: int, limit: int):
    """(the page's ``(creator_id, total)`` select, the ``matches`` CTE it reads): the ids part of
    :func:`page_select`, for ``EXPLAIN`` (``bench_discovery.py --explain``)."""
    matches = _matches_cte(workspace_id, query)
    total = select(func.count()).select_from(matches).scalar_subquery()
    page_ids = (select(matches.c.creator_id, total.label("total"))
                .order_by(*_page_order(query, matches)).limit(limit).offset(offset))
    return page_ids, matches


def page_select(workspace_id: int, query: DiscoveryQuery, *, offset: int, limit: int) -> Select:
    """``(total, creator_id)`` rows of one page in order; one row ``(total, None)`` for a page
    past the end. See :func:`sql_search_page`."""
    matches = _matches_cte(workspace_id, query)
    totals = select(func.count().label("total")).select_from(matches).subquery("totals")
    # LIMIT and OFFSET rendered as numbers (still one cached compilation): with a bound LIMIT,
    # SQLite cannot tell that the page is small and scans all creators for a Bloom filter.
    page = (select(matches.c.creator_id, matches.c.sort_key)
            .order_by(*_page_order(query, matches))
            .limit(bindparam("page_limit", int(limit), literal_execute=True))
            .offset(bindparam("page_offset", int(offset), literal_execute=True)).subquery("page"))
    # An outer join: the total arrives even when the page is empty.
    return (select(totals.c.total, page.c.creator_id).select_from(totals).outerjoin(page, true())
            .order_by(*_page_order(query, page)))


def search_page(session: Session, workspace_id: int, query: DiscoveryQuery, *, offset: int, limit: int) -> SearchPage:
    """One page of the search with its total: from the workspace's columnar index
    (:mod:`influencers.discovery.index`) when it is at the workspace's current generation,
    otherwise in SQL (:func:`sql_search_page`). Both answer the same page."""
    index = usable_index(session, workspace_id)
    if index is None:
        return sql_search_page(session, workspace_id, query, offset=offset, limit=limit)
    return indexed_search_page(session, workspace_id, index, query, offset=offset, limit=limit)


def indexed_search_page(session: Session, workspace_id: int, index: ColumnarIndex, query: DiscoveryQuery, *,
                        offset: int, limit: int) -> SearchPage:
    """The page's positions, the total and the page's growth from ``index``, then the page's rows
    (:func:`page_rows`)."""
    now = dt.datetime.now(dt.UTC)
    positions, total = index.page(query, offset=offset, limit=limit, today=now.date(), now=now)
    ids = index.page_ids(positions)
    return SearchPage(page_rows(session, workspace_id, ids), total,
                      dict(zip(ids, index.growth(positions, now.date()))))


def sql_search_page(session: Session, workspace_id: int, query: DiscoveryQuery, *, offset: int,
                    limit: int) -> SearchPage:
    """One page of :func:`discovery_select` with its total, in one statement (the reference search,
    and the one taken while a workspace has no current index).

    Sorting and counting both have to visit every match, so they share one pass:
    the matches' ids and sort key -- narrow rows -- are collected once in a
    materialised CTE, counted and sorted from there, and only the page's full rows
    (with their categories) are joined to the page's ids (a "late row lookup").
    MATERIALIZED matters on PostgreSQL: with ``count(*) OVER ()`` instead, its planner
    (15) costs the window as if it could stop at the LIMIT and walks the whole score
    index in sort order, far slower than collecting the matches with hash joins first.
    The page's rows (:func:`page_rows`) and growth (``growth_for``) are then read by id.
    """
    rows = session.execute(page_select(workspace_id, query, offset=offset, limit=limit)).all()
    total = int(rows[0].total) if rows else 0
    ids = [row.creator_id for row in rows if row.creator_id is not None]
    return SearchPage(page_rows(session, workspace_id, ids), total, growth_for(session, ids))


LOOKALIKE_FEATURES = ("log_followers", "engagement_rate", "authenticity", "fake_follower_share", "reachable_share")
COMPOSITION_DIMENSIONS = ("country", "gender", "age_range")


def lookalikes(session: Session, workspace_id: int, creator_id: int, limit: int = 10,
               same_platform: bool = True) -> list[tuple[int, float, float]]:
    """Creators most similar to one: scikit-learn nearest neighbours (cosine) on standardised
    score features plus audience composition. Returns (creator_id, similarity, distance)."""
    from sklearn.neighbors import NearestNeighbors
    from sklearn.preprocessing import StandardScaler

    target = session.get(Creator, creator_id)
    stmt = (
        select(Creator.id, Creator.followers, CreatorScore.engagement_rate, CreatorScore.authenticity,
               CreatorScore.fake_follower_share, CreatorScore.reachable_share)
        .join(CreatorScore, (CreatorScore.creator_id == Creator.id) & (CreatorScore.is_current == true()))
        .where(Creator.workspace_id == workspace_id)
        .order_by(Creator.id)
    )
    if same_platform:
        stmt = stmt.where(Creator.platform == target.platform)
    rows = session.execute(stmt).all()
    ids = np.array([r[0] for r in rows], dtype=np.int64)
    if creator_id not in set(ids.tolist()) or len(ids) < 2:
        return []
    numeric = np.array([[np.log10(max(r[1], 1)), *(np.nan if v is None else v for v in r[2:])] for r in rows],
                       dtype=float)
    # Missing values become the column median so one unknown does not exclude a creator.
    medians = np.nanmedian(np.where(np.isnan(numeric), np.nan, numeric), axis=0)
    numeric = np.where(np.isnan(numeric), np.nan_to_num(medians), numeric)
    features = StandardScaler().fit_transform(numeric)

    shares = session.execute(
        select(AudienceShare.creator_id, AudienceShare.attribute, AudienceShare.share)
        .where(AudienceShare.creator_id.in_(ids.tolist()),
               or_(*(AudienceShare.attribute.between(low, high - 1)
                     for low, high in map(dimension_codes, COMPOSITION_DIMENSIONS))))
    ).all()
    if shares:
        columns = sorted({attribute for _, attribute, _ in shares})
        column_index = {attribute: j for j, attribute in enumerate(columns)}
        composition = np.zeros((len(ids), len(columns)))
        rows_index = np.searchsorted(ids, np.array([s[0] for s in shares]))
        composition[rows_index, [column_index[attribute] for _, attribute, _ in shares]] = [s[2] for s in shares]
        # Composition shares are already on a common 0-1 scale; weight them like the
        # score features as a block.
        features = np.hstack([features, composition * np.sqrt(features.shape[1] / max(len(COMPOSITION_DIMENSIONS), 1))])

    model = NearestNeighbors(n_neighbors=min(limit + 1, len(ids)), metric="cosine").fit(features)
    position = int(np.searchsorted(ids, creator_id))
    distances, indices = model.kneighbors(features[position:position + 1])
    out = []
    for distance, index in zip(distances[0], indices[0]):
        if ids[index] == creator_id:
            continue
        out.append((int(ids[index]), float(1.0 - distance), float(distance)))
    return out[:limit]


def matching_ids(session: Session, workspace_id: int, query: DiscoveryQuery, limit: int) -> list[int]:
    """The ids of the first ``limit`` creators the search finds, in its order."""
    return [creator.id for creator, _score in session.execute(discovery_select(workspace_id, query).limit(limit))]


def similar_creators(session: Session, workspace_id: int, creator_id: int, limit: int = 10,
                     same_platform: bool = True) -> list[tuple[Creator, CreatorScore, float]]:
    """:func:`lookalikes` with their rows: (creator, current score, similarity), most similar
    first. NotFound while the creator itself is unscored."""
    scored(session, workspace_id, creator_id)
    neighbours = lookalikes(session, workspace_id, creator_id, limit, same_platform)
    ids = [neighbour_id for neighbour_id, _, _ in neighbours]
    rows = {creator.id: (creator, score) for creator, score in session.execute(
        discovery_select(workspace_id, DiscoveryQuery()).where(CreatorScore.creator_id.in_(ids))).all()}
    return [(*rows[i], similarity) for i, similarity, _ in neighbours if i in rows]
