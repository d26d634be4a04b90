"""What users read about brands: mentions, time series, share of voice, a creator's brand history.

Everything is read from ``brand_mentions`` (which carries each mention's date,
creator, sponsored flag and engagement) with set-based queries; estimated reach
joins the creators' current scores. Definitions, stated in every answer:

* engagements: likes + comments of the post (measured, as imported);
* estimated reach: the creator's current estimated authentic reach per post
  (``creator_scores.estimated_reach``, estimated by the scoring model); a post by
  a creator without a current score adds no reach and is counted in
  ``unscored_posts``;
* a post mentioning several brands counts once for each.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Select, and_, bindparam, case, func, select, true
from sqlalchemy.orm import Session

from influencers.brands.models import Brand, BrandMention
from influencers.creators.models import Creator, Post
from influencers.scoring.store import CreatorScore

DEFAULT_DAYS = 90
DEFINITIONS = {
    "engagements": "measured: likes + comments of the mentioning posts, as imported",
    "estimated_reach": ("estimated: the sum over mentioning posts of the creator's current estimated authentic "
                        "reach per post (scoring model); posts by unscored creators add none (unscored_posts)"),
    "creators": "measured: distinct creators behind the posts",
    "shares": "each brand's value divided by the sum over the competitor group "
              "(a post naming two brands counts for both)",
}


@dataclass(frozen=True)
class Period:
    since: dt.date
    until: dt.date  # exclusive

    @classmethod
    def of(cls, since: dt.date | None, until: dt.date | None, today: dt.date | None = None) -> Period:
        until = until or (today or dt.date.today()) + dt.timedelta(days=1)
        return cls(since or until - dt.timedelta(days=DEFAULT_DAYS), until)

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        return (dt.datetime.combine(self.since, dt.time(), dt.UTC),
                dt.datetime.combine(self.until, dt.time(), dt.UTC))

    def to_dict(self) -> dict:
        return {"since": self.since.isoformat(), "until": self.until.isoformat(), "until_is": "exclusive"}


def _reach_join(workspace_id: int):
    return and_(CreatorScore.creator_id == BrandMention.creator_id, CreatorScore.is_current == true(),
                CreatorScore.workspace_id == workspace_id)


@dataclass
class MentionFilters:
    period: Period
    platform: str | None = None
    sponsored: bool | None = None
    creator_id: int | None = None


def _filtered(stmt: Select, brand_ids: list[int], filters: MentionFilters) -> Select:
    low, high = filters.period.bounds()
    stmt = stmt.where(BrandMention.brand_id.in_(brand_ids), BrandMention.published_at >= low,
                      BrandMention.published_at < high)
    if filters.platform:
        stmt = stmt.where(BrandMention.platform == filters.platform)
    if filters.sponsored is not None:
        stmt = stmt.where(BrandMention.sponsored == filters.sponsored)
    if filters.creator_id is not None:
        stmt = stmt.where(BrandMention.creator_id == filters.creator_id)
    return stmt


def mentions_select(workspace_id: int, brand_id: int, filters: MentionFilters) -> Select:
    """Rows (mention, post, creator, estimated reach), newest first."""
    stmt = (select(BrandMention, Post, Creator, CreatorScore.estimated_reach, CreatorScore.as_of)
            .join(Post, Post.id == BrandMention.post_id)
            .join(Creator, Creator.id == BrandMention.creator_id)
            .outerjoin(CreatorScore, _reach_join(workspace_id)))
    stmt = _filtered(stmt, [brand_id], filters)
    return stmt.order_by(BrandMention.published_at.desc(), BrandMention.post_id.desc())


def mentions_count_select(brand_id: int, filters: MentionFilters) -> Select:
    """The number of rows :func:`mentions_select` pages through, from ``brand_mentions`` alone (its joins
    are to rows every mention has, or outer): the brand's index answers it without visiting posts."""
    return _filtered(select(func.count()).select_from(BrandMention), [brand_id], filters)


def count_mentions(session: Session, brand_id: int, filters: MentionFilters) -> int:
    return session.scalar(mentions_count_select(brand_id, filters))


def mention_row(row) -> dict:
    mention, post, creator, reach, as_of = row
    return {
        "brand_id": mention.brand_id, "published_at": mention.published_at, "platform": mention.platform,
        "matched_by": mention.matched_by, "matched_term": mention.matched_term, "sponsored": mention.sponsored,
        "likes": mention.likes, "comments": mention.comments, "engagements": mention.likes + mention.comments,
        "estimated_reach": reach, "reach_as_of": as_of,
        "post": {"id": post.id, "external_id": post.external_id, "kind": post.kind, "caption": post.caption},
        "creator": {"id": creator.id, "platform": creator.platform, "handle": creator.handle,
                    "followers": creator.followers},
    }


def _day_expression(session: Session):
    if session.get_bind().dialect.name == "sqlite":
        return func.substr(BrandMention.published_at, 1, 10)
    return func.to_char(func.timezone("UTC", BrandMention.published_at), "YYYY-MM-DD")


def time_series(session: Session, workspace_id: int, brand_id: int, filters: MentionFilters,
                interval: str = "day") -> dict:
    """Posts, engagements and estimated reach per day or ISO week (Monday) over the period, zeros included."""
    day = _day_expression(session).label("day")
    stmt = _filtered(
        select(day, func.count(), func.sum(BrandMention.likes + BrandMention.comments),
               func.sum(func.coalesce(CreatorScore.estimated_reach, 0)))
        .select_from(BrandMention).outerjoin(CreatorScore, _reach_join(workspace_id)),
        [brand_id], filters).group_by(day)
    step = dt.timedelta(days=7 if interval == "week" else 1)

    def start_of(d: dt.date) -> dt.date:
        return d - dt.timedelta(days=d.weekday()) if interval == "week" else d

    buckets: dict[dt.date, list[int]] = {}
    first = start_of(filters.period.since)
    d = first
    while d < filters.period.until:
        buckets[d] = [0, 0, 0]
        d += step
    for day_text, posts, engagements, reach in session.execute(stmt).all():
        bucket = buckets.setdefault(start_of(dt.date.fromisoformat(day_text)), [0, 0, 0])
        bucket[0] += posts
        bucket[1] += int(engagements or 0)
        bucket[2] += int(reach or 0)
    return {
        "brand_id": brand_id, "interval": interval, **filters.period.to_dict(),
        "points": [{"period_start": d.isoformat(), "posts": p, "engagements": e, "estimated_reach": r}
                   for d, (p, e, r) in sorted(buckets.items())],
        "definitions": DEFINITIONS,
    }


def _share(value: float, total: float) -> float | None:
    return round(value / total, 4) if total else None


def share_of_voice(session: Session, workspace_id: int, brand: Brand, group: list[int], filters: MentionFilters
                   ) -> dict:
    """Each brand of the competitor group: posts, creators, engagements, estimated reach and their shares."""
    stmt = _filtered(
        select(BrandMention.brand_id, func.count(), func.count(BrandMention.creator_id.distinct()),
               func.sum(BrandMention.likes + BrandMention.comments),
               func.sum(func.coalesce(CreatorScore.estimated_reach, 0)),
               func.sum(case((CreatorScore.estimated_reach.is_(None), 1), else_=0)),
               func.sum(case((BrandMention.sponsored == true(), 1), else_=0)))
        .select_from(BrandMention).outerjoin(CreatorScore, _reach_join(workspace_id)),
        group, filters).group_by(BrandMention.brand_id)
    found = {r[0]: r[1:] for r in session.execute(stmt).all()}
    names = dict(session.execute(select(Brand.id, Brand.name).where(Brand.id.in_(group))).all())
    rows = []
    for brand_id in group:
        posts, creators, engagements, reach, unscored, sponsored = found.get(brand_id, (0, 0, 0, 0, 0, 0))
        rows.append({"brand_id": brand_id, "name": names[brand_id], "posts": posts, "creators": creators,
                     "sponsored_posts": int(sponsored or 0), "engagements": int(engagements or 0),
                     "estimated_reach": int(reach or 0), "unscored_posts": int(unscored or 0)})
    totals = {k: sum(r[k] for r in rows) for k in ("posts", "engagements", "estimated_reach")}
    for row in rows:
        for k in totals:
            row[f"share_of_{k}"] = _share(row[k], totals[k])
    return {"brand_id": brand.id, "name": brand.name, **filters.period.to_dict(), "platform": filters.platform,
            "sponsored": filters.sponsored, "brands": rows, "totals": totals, "definitions": DEFINITIONS}


SOV_CSV_COLUMNS = ("brand", "posts", "share_of_posts", "creators", "sponsored_posts", "engagements",
                   "share_of_engagements", "estimated_reach", "share_of_estimated_reach", "unscored_posts")


def share_of_voice_rows(report: dict) -> list[list]:
    return [[row["name"] if c == "brand" else ("" if row[c] is None else row[c]) for c in SOV_CSV_COLUMNS]
            for row in report["brands"]]


RECENT_POSTS = 5


# Built once: a statement's construction costs more than its cached compilation on every read.
# Over the tables' columns (plain Core statements): ORM attributes would take the ORM's execution
# path, a fifth of a score read's cost for two small aggregates.
_MENTIONS, _BRANDS, _POSTS = BrandMention.__table__, Brand.__table__, Post.__table__
_CREATOR_BRANDS = (
    select(_MENTIONS.c.brand_id, _BRANDS.c.name, func.count(),
           func.sum(case((_MENTIONS.c.sponsored == true(), 1), else_=0)),
           func.min(_MENTIONS.c.published_at), func.max(_MENTIONS.c.published_at),
           func.max(case((_MENTIONS.c.sponsored == true(), _MENTIONS.c.published_at), else_=None)))
    .join(_BRANDS, _BRANDS.c.id == _MENTIONS.c.brand_id)
    .where(_MENTIONS.c.creator_id == bindparam("creator_id"), _BRANDS.c.workspace_id == bindparam("workspace_id"))
    .group_by(_MENTIONS.c.brand_id, _BRANDS.c.name))
_RANKED_MENTIONS = (
    select(_MENTIONS.c.brand_id, _POSTS.c.id, _POSTS.c.external_id, _POSTS.c.platform, _MENTIONS.c.published_at,
           _MENTIONS.c.sponsored, _MENTIONS.c.matched_by, _MENTIONS.c.matched_term,
           func.row_number().over(partition_by=_MENTIONS.c.brand_id,
                                  order_by=(_MENTIONS.c.published_at.desc(), _POSTS.c.id.desc())).label("rank"))
    .join(_POSTS, _POSTS.c.id == _MENTIONS.c.post_id)
    .where(_MENTIONS.c.creator_id == bindparam("creator_id"),
           _MENTIONS.c.brand_id.in_(bindparam("brand_ids", expanding=True)))
    .subquery())
_RECENT_MENTIONS = (select(_RANKED_MENTIONS).where(_RANKED_MENTIONS.c.rank <= RECENT_POSTS)
                    .order_by(_RANKED_MENTIONS.c.brand_id, _RANKED_MENTIONS.c.rank))


def creator_brand_history(session: Session, workspace_id: int, creator_id: int) -> dict:
    """Which brands a creator mentioned, sponsored or organically, how often, first and last date, recent posts."""
    brands = []
    for brand_id, name, posts, sponsored, first, last, last_sponsored in session.execute(
            _CREATOR_BRANDS, {"creator_id": creator_id, "workspace_id": workspace_id}).all():
        brands.append({"brand_id": brand_id, "name": name, "posts": posts, "sponsored_posts": int(sponsored or 0),
                       "organic_posts": posts - int(sponsored or 0), "first_at": first, "last_at": last,
                       "last_sponsored_at": last_sponsored, "recent_posts": []})
    by_id = {b["brand_id"]: b for b in brands}
    if by_id:
        for row in session.execute(_RECENT_MENTIONS, {"creator_id": creator_id, "brand_ids": list(by_id)}).all():
            by_id[row.brand_id]["recent_posts"].append({
                "post_id": row.id, "external_id": row.external_id, "platform": row.platform,
                "published_at": row.published_at, "sponsored": row.sponsored, "matched_by": row.matched_by,
                "matched_term": row.matched_term})
    brands.sort(key=lambda b: (-b["posts"], b["name"]))
    return {"creator_id": creator_id, "brands": brands,
            "basis": "measured: the creator's posts matched to the workspace's brands (all time)"}


EXPORT_COLUMNS = ("brand", "platform", "handle", "external_id", "published_at", "matched_by", "sponsored",
                  "likes", "comments")


def export_rows(session: Session, workspace_id: int, brand: Brand, since: dt.date | None):
    """The CLI's mentions CSV rows, oldest first, streamed."""
    stmt = (select(Creator.platform, Creator.handle, Post.external_id, BrandMention.published_at,
                   BrandMention.matched_by, BrandMention.sponsored, BrandMention.likes, BrandMention.comments)
            .select_from(BrandMention)
            .join(Post, Post.id == BrandMention.post_id).join(Creator, Creator.id == BrandMention.creator_id)
            .where(BrandMention.brand_id == brand.id, BrandMention.workspace_id == workspace_id)
            .order_by(BrandMention.published_at, BrandMention.post_id))
    if since is not None:
        stmt = stmt.where(BrandMention.published_at >= dt.datetime.combine(since, dt.time(), dt.UTC))
    for platform, handle, external_id, published_at, matched_by, sponsored, likes, comments in (
            session.execute(stmt).yield_per(2000)):
        yield [brand.name, platform, handle, external_id, published_at.strftime("%Y-%m-%dT%H:%M:%SZ"), matched_by,
               "true" if sponsored else "false", likes, comments]
