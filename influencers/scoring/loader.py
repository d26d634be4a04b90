"""Reads one workspace's scoring inputs from the database: a handful of set-based queries.

Each table is read once, column by column, into numpy arrays; database ids are
mapped to array positions with ``searchsorted`` (never a query per creator).

The rows are fetched straight from the driver's cursor (plain tuples): on millions
of rows SQLAlchemy's per-value result processing and Row objects cost more than the
read itself. The conversions below are vectorised and accept what both drivers
return: ISO strings for dates and UTC timestamps and 0/1 for booleans (sqlite3),
``date``/``datetime``/``bool`` objects (psycopg).
"""
from __future__ import annotations

import datetime as dt

import numpy as np
from sqlalchemy import BigInteger, String, cast, func, literal, literal_column, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from influencers.creators.models import (
    AudienceMember,
    AudienceSample,
    AudienceSampleMember,
    Creator,
    CreatorEdge,
    FollowerSnapshot,
    Post,
)
from influencers.scoring.inputs import PLATFORM_CODE, ScoringInputs, detect_contests


def _columns(session: Session, stmt, names: list[str]) -> dict[str, list]:
    """The statement's result as one list of driver values per column (in the session's transaction)."""
    result = session.connection().execute(stmt)
    try:
        rows = result.cursor.fetchall()
    finally:
        result.close()
    # One list per column; not ``zip(*rows)``, whose millions of tuple iterators keep
    # the garbage collector busy.
    return {name: [row[j] for row in rows] for j, name in enumerate(names)}


def _ints(values) -> np.ndarray:
    return np.array(values, dtype=np.int64)


def _floats(values) -> np.ndarray:
    """Numbers as floats, ``None`` as ``nan``."""
    return np.array(values, dtype=float)


def _objects(values) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def _positions(sorted_ids: np.ndarray, ids) -> np.ndarray:
    ids = ids if isinstance(ids, np.ndarray) else _ints(ids)
    return np.searchsorted(sorted_ids, ids) if len(ids) else np.array([], dtype=np.int64)


_NAT = np.iinfo(np.int64).min  # datetime64's NaT as an integer
_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
_EPOCH_NAIVE = dt.datetime(1970, 1, 1)
_MICROSECOND = dt.timedelta(microseconds=1)


def _first(values):
    return next((v for v in values if v is not None), None)


def _days(values) -> np.ndarray:
    """Dates (``date`` objects or ISO strings) as datetime64[D], ``None`` as NaT.

    numpy parses ISO strings quickly but converts ``date`` objects (psycopg) one
    by one through a slow path (0.36 s for 450,000 snapshot dates); their
    ordinals, exact integers, convert ~7x faster to the same days."""
    if isinstance(_first(values), dt.date):
        days = [_NAT if v is None else v.toordinal() - _EPOCH_ORDINAL for v in values]
        return np.array(days, dtype=np.int64).astype("datetime64[D]")
    return np.array(values, dtype="datetime64[D]")


def _utc(values, unit: str) -> np.ndarray:
    """UTC timestamps as naive datetime64 in ``unit`` (truncated), ``None`` as NaT.

    SQLite stores them as naive UTC ISO strings (numpy parses those); psycopg
    returns aware datetimes, converted here as exact integer microseconds since the
    epoch (``(t - epoch) // 1 us``, ~10x faster than numpy's per-object conversion
    of ``astimezone``'d copies)."""
    if isinstance(_first(values), dt.datetime):
        micros = [_NAT if v is None else (v - (_EPOCH if v.tzinfo else _EPOCH_NAIVE)) // _MICROSECOND
                  for v in values]
        return np.array(micros, dtype=np.int64).astype("datetime64[us]").astype(f"datetime64[{unit}]")
    return np.array(values, dtype="datetime64[us]").astype(f"datetime64[{unit}]")


def load_inputs(session: Session, workspace_id: int, platform: str | None = None) -> ScoringInputs:
    creator_filter = [Creator.workspace_id == workspace_id]
    if platform:
        creator_filter.append(Creator.platform == platform)
    creators = _columns(
        session,
        select(Creator.id, Creator.platform, Creator.handle, Creator.followers, Creator.following,
               Creator.posts_count, Creator.updated_at).where(*creator_filter).order_by(Creator.id),
        ["id", "platform", "handle", "followers", "following", "posts_count", "updated_at"],
    )
    creator_ids = _ints(creators["id"])
    in_scope = select(Creator.id).where(*creator_filter)

    posts = _columns(
        session,
        select(Post.creator_id, Post.published_at, Post.likes, Post.comments, Post.views, Post.caption,
               Post.external_id).where(Post.creator_id.in_(in_scope)),
        ["creator_id", "published_at", "likes", "comments", "views", "caption", "external_id"],
    )
    snapshots = _columns(
        session,
        select(FollowerSnapshot.creator_id, FollowerSnapshot.date, FollowerSnapshot.followers,
               FollowerSnapshot.following).where(FollowerSnapshot.creator_id.in_(in_scope)),
        ["creator_id", "date", "followers", "following"],
    )
    latest = (
        select(AudienceSample.creator_id, func.max(AudienceSample.sampled_at).label("sampled_at"))
        .where(AudienceSample.creator_id.in_(in_scope))
        .group_by(AudienceSample.creator_id)
        .subquery()
    )
    samples = _columns(
        session,
        select(AudienceSample.id, AudienceSample.creator_id, AudienceSample.sampled_at).join(
            latest,
            (latest.c.creator_id == AudienceSample.creator_id) & (latest.c.sampled_at == AudienceSample.sampled_at),
        ),
        ["id", "creator_id", "sampled_at"],
    )
    sample_ids = _ints(samples["id"])
    if session.get_bind().dialect.name == "postgresql":
        # The id sets below are parameters. psycopg prepares a statement after five
        # executions on a connection, and PostgreSQL may then switch to a generic plan,
        # which estimates ``unnest($1)`` at 10 rows whatever the array holds (nested
        # loops again, ~2x slower). Custom plans for the rest of this transaction only.
        session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
    # The latest samples' members, by the ids read just above (sent back as one
    # parameter) rather than by re-deriving the latest samples in a subquery: on
    # PostgreSQL the (creator, max(sampled_at)) join is estimated at a handful of
    # rows, and everything planned on top of it (nested loops, a HashAggregate over a
    # million member ids spilling to disk, an external sort) was the slowest part of
    # the read. With the ids as a literal array both databases know the set's size.
    memberships = _columns(
        session,
        select(AudienceSampleMember.sample_id, AudienceSampleMember.member_id).where(
            AudienceSampleMember.sample_id.in_(_id_set(session, np.unique(sample_ids)))
        ),
        ["sample_id", "member_id"],
    )
    # Converted once (millions of ints): used for the member ids and the positions below.
    membership_sample_ids = _ints(memberships.pop("sample_id"))
    membership_member_ids = _ints(memberships.pop("member_id"))
    member_ids_used = np.unique(membership_member_ids)
    # Members by primary key, from the distinct member ids of those memberships
    # (deduplicated here by np.unique, not by the database: on PostgreSQL the
    # server-side DISTINCT over 4M memberships spilled to disk).
    members = _columns(
        session,
        select(AudienceMember.id, AudienceMember.followers, AudienceMember.following, AudienceMember.posts_count,
               AudienceMember.has_avatar, AudienceMember.bio_length, AudienceMember.created_at,
               AudienceMember.last_post_at, AudienceMember.country, AudienceMember.language,
               AudienceMember.gender, AudienceMember.age_range, AudienceMember.member_key)
        .where(AudienceMember.workspace_id == workspace_id)
        .where(AudienceMember.id.in_(_id_set(session, member_ids_used)))
        .order_by(AudienceMember.id),
        ["id", "followers", "following", "posts_count", "has_avatar", "bio_length", "created_at",
         "last_post_at", "country", "language", "gender", "age_range", "member_key"],
    )
    member_ids = _ints(members["id"])
    assert len(member_ids) == len(member_ids_used)
    comment_edges = _columns(
        session,
        select(CreatorEdge.source_id, CreatorEdge.target_id, CreatorEdge.weight).where(
            CreatorEdge.workspace_id == workspace_id, CreatorEdge.kind == "comments",
            CreatorEdge.source_id.in_(in_scope), CreatorEdge.target_id.in_(in_scope)),
        ["source_id", "target_id", "weight"],
    )

    sample_date = np.full(len(creator_ids), np.datetime64("NaT", "D"))
    creator_sample_id = np.full(len(creator_ids), -1, dtype=np.int64)
    if len(sample_ids):
        sample_positions = _positions(creator_ids, samples["creator_id"])
        sample_date[sample_positions] = _days(samples["sampled_at"])
        creator_sample_id[sample_positions] = sample_ids
    sample_order = np.argsort(sample_ids)
    sample_creator_ids = _ints(samples["creator_id"])[sample_order]
    membership_sample_pos = _positions(sample_ids[sample_order], membership_sample_ids)

    return ScoringInputs(
        creator_ids=creator_ids,
        platform=np.array([PLATFORM_CODE[p] for p in creators["platform"]], dtype=np.int64),
        handles=_objects(creators["handle"]),
        followers=_floats(creators["followers"]),
        following=_floats(creators["following"]),
        posts_count=_floats(creators["posts_count"]),
        as_of=_utc(creators["updated_at"], "D"),
        sample_date=sample_date,
        sample_id=creator_sample_id,
        post_creator=_positions(creator_ids, posts["creator_id"]),
        post_published_at=_utc(posts["published_at"], "s"),
        post_likes=_floats(posts["likes"]),
        post_comments=_floats(posts["comments"]),
        post_views=_floats(posts["views"]),
        post_is_contest=detect_contests(posts["caption"]),
        post_external_id=_objects(posts["external_id"]),
        snapshot_creator=_positions(creator_ids, snapshots["creator_id"]),
        snapshot_date=_days(snapshots["date"]),
        snapshot_followers=_floats(snapshots["followers"]),
        snapshot_following=_floats(snapshots["following"]),
        member_followers=_floats(members["followers"]),
        member_following=_floats(members["following"]),
        member_posts_count=_floats(members["posts_count"]),
        member_has_avatar=np.array(members["has_avatar"], dtype=bool),
        member_bio_length=_floats(members["bio_length"]),
        member_created_at=_days(members["created_at"]),
        member_last_post_at=_days(members["last_post_at"]),
        member_country=_objects(members["country"]),
        member_language=_objects(members["language"]),
        member_gender=_objects(members["gender"]),
        member_age_range=_objects(members["age_range"]),
        member_keys=_objects(members["member_key"]),
        sample_creator=_positions(creator_ids, sample_creator_ids[membership_sample_pos])
        if len(membership_sample_pos) else np.array([], dtype=np.int64),
        sample_member=_positions(member_ids, membership_member_ids),
        comment_source=_positions(creator_ids, comment_edges["source_id"]),
        comment_target=_positions(creator_ids, comment_edges["target_id"]),
        comment_weight=_floats(comment_edges["weight"]),
    )


def _id_set(session: Session, ids: np.ndarray):
    """A one-column subquery of ``ids`` (integers), bound as one text parameter.

    SQLite: ``SELECT value FROM json_each('[1,2,...]')``; PostgreSQL:
    ``SELECT unnest('{1,2,...}'::bigint[])``. One parameter whatever the size (an
    expanding ``IN`` would need one placeholder per id: over SQLite's limit), and the
    planner sees how many ids there are (a literal array, planned per execution).
    Text rather than a list of ints: psycopg adapts 10^5-10^6 Python ints ten times
    slower than the server parses the literal.
    """
    joined = ",".join(map(str, np.asarray(ids, dtype=np.int64).tolist()))
    if session.get_bind().dialect.name == "sqlite":
        return select(literal_column("value")).select_from(func.json_each(literal(f"[{joined}]", String)))
    return select(func.unnest(cast(literal(f"{{{joined}}}", String), ARRAY(BigInteger))))

