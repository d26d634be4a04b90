"""Discovery's brand, contact and growth filters (WHERE terms on ``creators``) and creators' follower growth.

Growth over N days is measured on the creator's follower snapshots of the last N
days (UTC): the latest snapshot's followers over the earliest one's, minus one.
It needs at least two snapshots in the window; the number of snapshots it rests on
is reported beside it. A creator without two snapshots in the window has no
growth and never passes a growth filter.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict

from sqlalchemy import ColumnElement, Select, and_, func, or_, select, true, union
from sqlalchemy.orm import Session

from influencers.brands.models import Brand, BrandCompetitor, BrandMention
from influencers.brands.service import name_key
from influencers.creators.models import Creator, FollowerSnapshot, Post

MENTION_KINDS = ("any", "organic", "sponsored")
GROWTH_WINDOWS = (30, 90)


def _today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def _since(days: int) -> dt.datetime:
    return dt.datetime.now(dt.UTC) - dt.timedelta(days=days)


def _brand_ids(workspace_id: int, name: str):
    return select(Brand.id).where(Brand.workspace_id == workspace_id, Brand.name_key == name_key(name))


def _group_ids(workspace_id: int, name: str):
    """The brand named ``name`` and the brands it competes with."""
    competitors = (select(BrandCompetitor.competitor_id).join(Brand, Brand.id == BrandCompetitor.brand_id)
                   .where(Brand.workspace_id == workspace_id, Brand.name_key == name_key(name)))
    return union(_brand_ids(workspace_id, name), competitors)


def mentioning(brand_ids, since: dt.datetime, kind: str = "any"):
    """Creator ids with a post mentioning one of ``brand_ids`` since ``since`` (sponsored, organic or any)."""
    stmt = select(BrandMention.creator_id).where(BrandMention.brand_id.in_(brand_ids),
                                                 BrandMention.published_at >= since)
    if kind != "any":
        stmt = stmt.where(BrandMention.sponsored == (kind == "sponsored"))
    return stmt


def growth_condition(days: int, low: float | None, high: float | None) -> ColumnElement:
    """Growth over the last ``days`` within [low, high] (either may be None), as correlated index probes.

    The probes read ``ix_follower_snapshots_creator_date_followers`` alone. They only visit
    the creators that pass the other filters; a set-based pass (the workspace's window grouped
    per creator, then joined) measured slower on SQLite (benchmarks/README.md, issue 22).
    """
    window = and_(FollowerSnapshot.creator_id == Creator.id, FollowerSnapshot.date >= _today() - dt.timedelta(days))
    base = select(FollowerSnapshot.followers).where(window)
    first = base.order_by(FollowerSnapshot.date.asc()).limit(1).scalar_subquery()
    last = base.order_by(FollowerSnapshot.date.desc()).limit(1).scalar_subquery()
    count = select(func.count()).select_from(FollowerSnapshot).where(window).scalar_subquery()
    terms = [count >= 2, first > 0]
    # No division: last / first - 1 >= low  <=>  last >= first * (1 + low) for first > 0.
    if low is not None:
        terms.append(last >= first * (1 + low))
    if high is not None:
        terms.append(last <= first * (1 + high))
    return and_(*terms)


def brand_filters(workspace_id: int, query) -> list[ColumnElement]:
    """The WHERE terms of a :class:`~influencers.discovery.DiscoveryQuery`'s brand, contact and growth filters."""
    terms: list[ColumnElement] = []
    if query.mentions_brand:
        terms.append(Creator.id.in_(mentioning(_brand_ids(workspace_id, query.mentions_brand),
                                               _since(query.mention_within_days), query.mention_kind)))
    for name, ids in ((query.not_sponsored_by, _brand_ids), (query.not_sponsored_by_group, _group_ids)):
        if name:
            terms.append(Creator.id.not_in(mentioning(ids(workspace_id, name), _since(query.sponsored_within_days),
                                                      "sponsored")))
    if query.has_contact is True:
        terms.append(and_(Creator.email.is_not(None), Creator.email != ""))
    elif query.has_contact is False:
        terms.append((Creator.email.is_(None)) | (Creator.email == ""))
    for days in GROWTH_WINDOWS:
        low, high = getattr(query, f"min_growth_{days}d"), getattr(query, f"max_growth_{days}d")
        if low is not None or high is not None:
            terms.append(growth_condition(days, low, high))
    return terms


GROWTH_BASIS = "measured: follower snapshots of the last 30/90 days (UTC), latest over earliest minus one"


def growth_entry(as_of: dt.date | None, windows: dict[int, tuple[int, int, int]]) -> dict:
    """A creator's growth as discovery reports it, from {days: (snapshots in the window, earliest
    followers, latest followers)} and the latest snapshot's date (None without one)."""
    entry = {"as_of": as_of, "basis": GROWTH_BASIS}
    for days, (count, first, last) in windows.items():
        entry[f"growth_{days}d"] = round(last / first - 1, 6) if count >= 2 and first > 0 else None
        entry[f"snapshots_{days}d"] = count
    return entry


def growth_for(session: Session, creator_ids: list[int]) -> dict[int, dict]:
    """{creator id: growth over 30 and 90 days with the snapshots behind each} (one query)."""
    today = _today()
    series: dict[int, list[tuple[dt.date, int]]] = defaultdict(list)
    if creator_ids:
        for creator_id, date, followers in session.execute(
                select(FollowerSnapshot.creator_id, FollowerSnapshot.date, FollowerSnapshot.followers)
                .where(FollowerSnapshot.creator_id.in_(creator_ids),
                       FollowerSnapshot.date >= today - dt.timedelta(max(GROWTH_WINDOWS)))
                .order_by(FollowerSnapshot.creator_id, FollowerSnapshot.date)):
            series[creator_id].append((date, followers))
    out = {}
    for creator_id in creator_ids:
        points = series.get(creator_id, [])
        windows = {}
        for days in GROWTH_WINDOWS:
            window = [p for p in points if p[0] >= today - dt.timedelta(days)]
            windows[days] = (len(window), window[0][1], window[-1][1]) if window else (0, 0, 0)
        out[creator_id] = growth_entry(points[-1][0] if points else None, windows)
    return out


def unknown_brand_names(session: Session, workspace_id: int, names: dict[str, str]) -> dict[str, str]:
    """{field: name} of the given brand names that no brand of the workspace has."""
    if not names:
        return {}
    keys = {name_key(n) for n in names.values()}
    known = set(session.scalars(select(Brand.name_key).where(Brand.workspace_id == workspace_id,
                                                             Brand.name_key.in_(keys))))
    return {f: n for f, n in names.items() if name_key(n) not in known}


__all__ = ["GROWTH_BASIS", "MENTION_KINDS", "brand_filters", "growth_entry", "growth_for", "unknown_brand_names",
           "true"]


def posts_select(creator_id: int, mentions_brand_id: int | None = None, sponsored: bool | None = None) -> Select:
    """A creator's posts, newest first; only those mentioning a brand, or only (not) sponsored ones."""
    stmt = select(Post).where(Post.creator_id == creator_id)
    if mentions_brand_id is not None:
        stmt = stmt.where(Post.id.in_(select(BrandMention.post_id).where(
            BrandMention.brand_id == mentions_brand_id, BrandMention.creator_id == creator_id)))
    if sponsored is not None:
        stmt = stmt.where(Post.sponsored.is_(True) if sponsored else or_(Post.sponsored.is_(False),
                                                                          Post.sponsored.is_(None)))
    return stmt.order_by(Post.published_at.desc(), Post.id.desc())
