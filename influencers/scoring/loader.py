"""Reads one workspace's scoring inputs from the database: a handful of set-based queries.

Each table is read once, streamed from the driver's cursor straight into numpy
arrays; database ids are mapped to array positions with a lookup table (or
``searchsorted``), never a query per creator.

Why it looks like this: on millions of rows, SQLAlchemy's per-value result
processing and Row objects, a retained list of row tuples, per-column Python
lists and numpy's parsing of date strings each cost about as much as the read
itself. So the rows go from the cursor through ``np.fromiter`` into one array per
query (each driver tuple is freed as soon as it is copied), dates and timestamps
come out of the database as integers (days or seconds since the epoch, computed
by the database), and columns are converted with ``astype``. The conversions
accept what both drivers return (0/1 or ``bool`` for booleans, ``None`` for NULL).

Inside :func:`influencers.columnar.columnar_reads` (a scoring run on PostgreSQL) the
same statements are read as Arrow columns through ADBC instead, with no Python
object per value. The columns come out in forms the same conversions accept.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import (
    BigInteger,
    Integer,
    String,
    cast,
    func,
    literal,
    literal_column,
    or_,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from influencers.columnar import columnar_reader
from influencers.creators.models import (
    AudienceMember,
    AudienceSample,
    AudienceSampleMember,
    Creator,
    CreatorCategory,
    CreatorEdge,
    FollowerSnapshot,
    Post,
)
from influencers.overlap.sketch import member_sketch_keys
from influencers.scoring.inputs import PLATFORM_CODE, ScoringInputs, coded


def _rows(session: Session, stmt, width: int, dtype=object) -> list[np.ndarray]:
    """The statement's result as ``width`` columns (numpy arrays), in the session's transaction.

    Through the session's :func:`~influencers.columnar.columnar_reader` when it has one
    (PostgreSQL, see :mod:`influencers.columnar`): the driver's result as Arrow columns.
    Otherwise streamed from the driver's cursor into one ``(rows, width)`` array of
    ``dtype`` and split into its columns: ``dtype=np.int64`` for all-integer results (no
    NULLs); ``object`` otherwise, the columns then converted with :func:`_ints`,
    :func:`_floats`, ... (they take either form). ``fetchall`` would keep every row tuple
    alive until the last one is read; streaming chunks costs less than that alone.
    """
    reader = columnar_reader(session)
    if reader is not None:
        columns = reader.columns(reader.sql(stmt, session.get_bind().dialect))
        if len(columns) != width:
            raise ValueError(f"expected {width} columns, the statement gave {len(columns)}")
        return columns
    result = session.connection().execute(stmt)
    cursor = result.cursor
    # In chunks: psycopg's row-by-row iteration runs Python code per row, its
    # ``fetchmany`` builds the rows in C (sqlite3 does either in C).
    chunks = iter(lambda: cursor.fetchmany(_CHUNK_ROWS), [])
    try:
        flat = np.fromiter(itertools.chain.from_iterable(itertools.chain.from_iterable(chunks)), dtype=dtype)
    finally:
        result.close()
    table = flat.reshape(-1, width)
    return [table[:, j] for j in range(width)]


_CHUNK_ROWS = 65_536


# Values per chunk of :func:`_converted`: the driver's Python objects of one chunk are a few MB.
_CHUNK_VALUES = 1 << 17


def _converted(session: Session, stmt, converters: tuple) -> list[np.ndarray]:
    """The statement's result as one typed array per column, ``converters[j]`` making column
    ``j``'s from what :func:`_rows` gives (:func:`_ints`, :func:`_floats`, ...).

    Without a columnar reader the rows are converted chunk by chunk as the cursor streams
    them: one chunk of the driver's Python objects (a float, an int, a str per value) is
    alive at a time, not one per value of the whole result, which was the peak of a run's
    memory.
    """
    width = len(converters)
    if columnar_reader(session) is not None:
        return [convert(column) for convert, column in zip(converters, _rows(session, stmt, width))]
    result = session.connection().execute(stmt)
    cursor = result.cursor
    parts: list[list[np.ndarray]] = []
    try:
        while chunk := cursor.fetchmany(max(_CHUNK_VALUES // width, 1)):
            table = np.fromiter(itertools.chain.from_iterable(chunk), dtype=object,
                                count=len(chunk) * width).reshape(-1, width)
            del chunk
            parts.append([convert(table[:, j]) for j, convert in enumerate(converters)])
    finally:
        result.close()
    if not parts:
        empty = np.zeros(0, dtype=object)
        return [convert(empty) for convert in converters]
    return [_concatenate([part[j] for part in parts]) for j in range(width)]


def _concatenate(parts: list) -> np.ndarray | pd.Categorical:
    if len(parts) == 1:
        return parts[0]
    if isinstance(parts[0], pd.Categorical):
        # Re-coded into the union of the parts' values (union_categoricals refuses parts whose
        # values have different dtypes, e.g. a part with no known value at all).
        distinct = pd.Index(pd.unique(np.concatenate([np.asarray(p.categories, dtype=object) for p in parts])))
        codes = [np.append(distinct.get_indexer(np.asarray(p.categories, dtype=object)), -1)[p.codes] for p in parts]
        return pd.Categorical.from_codes(np.concatenate(codes), categories=distinct)
    return np.concatenate(parts)


def _seconds(column: np.ndarray) -> np.ndarray:
    return _epochs(column, "s")


def _day_numbers(column: np.ndarray) -> np.ndarray:
    return _epochs(column, "D")


def _ints(column: np.ndarray) -> np.ndarray:
    return np.asarray(column).astype(np.int64)


def _floats(column: np.ndarray) -> np.ndarray:
    """Numbers as floats, ``None`` as ``nan``."""
    return np.asarray(column).astype(float)


def _objects(column: np.ndarray) -> np.ndarray:
    """A contiguous copy of an object column (a column of a 2-D result is a strided view)."""
    return np.ascontiguousarray(column, dtype=object)


def _bools(column: np.ndarray) -> np.ndarray:
    """0/1 (sqlite3) or ``bool`` (psycopg); ``None`` as False."""
    return np.asarray(column).astype(bool)


_NAT = np.iinfo(np.int64).min  # datetime64's NaT as an integer


def _epochs(column: np.ndarray, unit: str) -> np.ndarray:
    """Integers since the epoch (see :func:`_epoch_days`, :func:`_epoch_seconds`) as
    datetime64[``unit``], ``None`` as NaT."""
    values = np.asarray(column).astype(float)  # None -> nan; exact below 2^53
    out = np.full(len(values), _NAT, dtype=np.int64)
    known = ~np.isnan(values)
    out[known] = values[known].astype(np.int64)
    return out.view(f"datetime64[{unit}]")


def _epoch_days(dialect: str, column):
    """A DATE column as whole days since 1970-01-01, computed by the database.

    SQLite stores ISO strings: their Julian day is ``n + 0.5`` exactly, so the
    difference is an exact integer; PostgreSQL subtracts dates as integers."""
    if dialect == "sqlite":
        return cast(func.julianday(column) - 2440587.5, Integer)
    return column - literal(dt.date(1970, 1, 1))


def _epoch_seconds(dialect: str, column):
    """A UTC timestamp column as whole seconds since the epoch (fractions dropped), computed by the database."""
    if dialect == "sqlite":
        # Naive UTC ISO strings. The fraction is cut off first: SQLite's date functions
        # round it to milliseconds, which would carry .9995 s into the next second.
        return cast(func.strftime("%s", func.substr(column, 1, 19)), BigInteger)
    return cast(func.floor(func.extract("epoch", column)), BigInteger)


def _first(values):
    return next((v for v in values if v is not None), None)


def _days(values) -> np.ndarray:
    """Dates (``date`` objects or ISO strings) as datetime64[D], ``None`` as NaT.

    Used for the few thousand values read without :func:`_epoch_days`. numpy
    converts ``date`` objects (psycopg) one by one through a slow path; their
    ordinals, exact integers, convert faster to the same days."""
    values = list(values)
    if isinstance(_first(values), dt.date):
        days = [_NAT if v is None else v.toordinal() - _EPOCH_ORDINAL for v in values]
        return np.array(days, dtype=np.int64).astype("datetime64[D]")
    return np.array(values, dtype="datetime64[D]")


_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_EPOCH_NAIVE = dt.datetime(1970, 1, 1)
_MICROSECOND = dt.timedelta(microseconds=1)


def _utc(values, unit: str) -> np.ndarray:
    """UTC timestamps as naive datetime64 in ``unit`` (truncated), ``None`` as NaT.

    SQLite stores them as naive UTC ISO strings (numpy parses those); psycopg
    returns aware datetimes, converted here as exact integer microseconds since the
    epoch (``(t - epoch) // 1 us``, faster than numpy's per-object conversion
    of ``astimezone``'d copies)."""
    values = list(values)
    if isinstance(_first(values), dt.datetime):
        micros = [_NAT if v is None else (v - (_EPOCH if v.tzinfo else _EPOCH_NAIVE)) // _MICROSECOND
                  for v in values]
        return np.array(micros, dtype=np.int64).astype("datetime64[us]").astype(f"datetime64[{unit}]")
    return np.array(values, dtype="datetime64[us]").astype(f"datetime64[{unit}]")


def positions(sorted_ids: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Positions in ``sorted_ids`` (ascending, unique) of ``ids`` (each one of them).

    A lookup table indexed by id when the ids span a range not much larger than
    the arrays (one workspace's ids usually do): a gather instead of a binary
    search per id. ``searchsorted`` otherwise."""
    ids = np.asarray(ids, dtype=np.int64)
    if not len(ids) or not len(sorted_ids):
        return np.zeros(0, dtype=np.int64) if not len(ids) else np.searchsorted(sorted_ids, ids)
    low, span = int(sorted_ids[0]), int(sorted_ids[-1]) - int(sorted_ids[0]) + 1
    if span > 4 * (len(sorted_ids) + len(ids)):
        return np.searchsorted(sorted_ids, ids)
    table = np.empty(span, dtype=np.int64)
    table[sorted_ids - low] = np.arange(len(sorted_ids))
    return table[ids - low]


def distinct_ids(ids: np.ndarray) -> np.ndarray:
    """``np.unique(ids)``, through a presence mask over the ids' range when it is small
    (no sort of millions of ids)."""
    if not len(ids):
        return np.zeros(0, dtype=np.int64)
    low, high = int(ids.min()), int(ids.max())
    if high - low + 1 > 4 * len(ids):
        return np.unique(ids)
    present = np.zeros(high - low + 1, dtype=bool)
    present[ids - low] = True
    return np.flatnonzero(present) + low


def load_inputs(session: Session, workspace_id: int, platform: str | None = None, *,
                audience: bool = True, id_range: tuple[int, int] | None = None) -> ScoringInputs:
    """The workspace's (or one platform's) scoring inputs, read in the session's transaction.

    ``audience=False`` leaves out the sample memberships and the members (the bulk of
    the read), for a caller that reads those elsewhere with :func:`load_audience_inputs`
    (a scoring run's audience worker, a process reading the same snapshot).
    ``id_range``: (first, last) creator id: only those creators (a chunk of a chunked run;
    the edges read are those between two of them), with their members' ids.
    """
    creators = read_creators(session, workspace_id, platform, id_range)
    scope = _scope(workspace_id, platform, id_range)
    fields = {**creators, **read_activity(session, workspace_id, scope, creators["creator_ids"])}
    samples = read_latest_samples(session, scope, creators["creator_ids"])
    fields.update(sample_date=samples.sample_date, sample_id=samples.sample_id)
    if audience:
        audience_fields, member_ids = read_audience(session, workspace_id, creators["creator_ids"], samples)
        fields.update(audience_fields)
        if id_range is not None:
            fields["member_ids"] = member_ids
    return ScoringInputs(**fields)


def load_audience_inputs(session: Session, workspace_id: int, *, details: bool = False
                         ) -> tuple[ScoringInputs, np.ndarray]:
    """What :func:`load_inputs` leaves out with ``audience=False``, with the creators' ids,
    platforms, followers, countries, languages, niches and latest samples: the inputs of a scoring run's audience pass
    (:mod:`influencers.scoring.audience_pass`; no posts, snapshots or edges), and the
    member ids (the order of the member arrays). With ``details=False``, without the
    members' gender and keys, which only the shares and sketches
    use: :func:`add_member_details` reads them after the classification.
    """
    creators = read_creators(session, workspace_id)
    samples = read_latest_samples(session, _scope(workspace_id, None), creators["creator_ids"])
    audience, member_ids = read_audience(session, workspace_id, creators["creator_ids"], samples, details=details)
    inputs = ScoringInputs(
        creator_ids=creators["creator_ids"], platform=creators["platform"], followers=creators["followers"],
        country=creators["country"], language=creators["language"], niche=creators["niche"],
        category_creator=creators["category_creator"], category_name=creators["category_name"],
        sample_date=samples.sample_date, sample_id=samples.sample_id, **audience,
    )
    return inputs, member_ids


def add_member_details(session: Session, workspace_id: int, inputs: ScoringInputs, member_ids: np.ndarray,
                       columns: tuple[str, ...] = ("language", "gender", "age_range", "member_key")) -> ScoringInputs:
    """``inputs`` of :func:`load_audience_inputs` with the member details ``columns``,
    read in the same transaction (so of the same snapshot)."""
    return dataclasses.replace(inputs, **read_member_details(session, workspace_id, member_ids, columns))


def _where(workspace_id: int, platform: str | None, id_range: tuple[int, int] | None) -> list:
    where = [Creator.workspace_id == workspace_id]
    if platform:
        where.append(Creator.platform == platform)
    if id_range is not None:
        where.append(Creator.id.between(int(id_range[0]), int(id_range[1])))
    return where


def _scope(workspace_id: int, platform: str | None, id_range: tuple[int, int] | None = None):
    """The creators in scope, as a subquery of ids."""
    return select(Creator.id).where(*_where(workspace_id, platform, id_range))


def read_creators(session: Session, workspace_id: int, platform: str | None = None,
                  id_range: tuple[int, int] | None = None) -> dict[str, np.ndarray]:
    """The creators' own columns (``ScoringInputs`` field names), in id order (those with ids in
    ``id_range``, first and last included, when given)."""
    where = _where(workspace_id, platform, id_range)
    creators = _rows(
        session,
        select(Creator.id, Creator.platform, Creator.handle, Creator.followers, Creator.following,
               Creator.posts_count, Creator.updated_at, Creator.country, Creator.language)
        .where(*where).order_by(Creator.id),
        9,
    )
    creator_ids = _ints(creators[0])
    # Categories (farm overlap: creators sharing none); the niche of the peer groups is
    # each creator's first category by name.
    categories = _rows(
        session,
        select(CreatorCategory.creator_id, CreatorCategory.category)
        .where(CreatorCategory.creator_id.in_(select(Creator.id).where(*where)))
        .order_by(CreatorCategory.creator_id, CreatorCategory.category),
        2,
    )
    category_creator = positions(creator_ids, _ints(categories[0]))
    category_name = _objects(categories[1])
    niche = np.full(len(creator_ids), None, dtype=object)
    if len(category_creator):
        first = np.r_[True, category_creator[1:] != category_creator[:-1]]
        niche[category_creator[first]] = category_name[first]
    return {
        "creator_ids": _ints(creators[0]),
        "platform": np.array([PLATFORM_CODE[p] for p in creators[1].tolist()], dtype=np.int64),
        "handles": _objects(creators[2]),
        "followers": _floats(creators[3]),
        "following": _floats(creators[4]),
        "posts_count": _floats(creators[5]),
        "as_of": _utc(creators[6].tolist(), "D"),
        "country": _objects(creators[7]),
        "language": _objects(creators[8]),
        "niche": niche,
        "category_creator": category_creator,
        "category_name": category_name,
    }


def read_activity(session: Session, workspace_id: int, scope, creator_ids: np.ndarray) -> dict[str, np.ndarray]:
    """Posts, daily follower snapshots and ``comments`` edges of the creators in ``scope``."""
    dialect = session.get_bind().dialect.name
    posts = _converted(
        session,
        select(Post.creator_id, _epoch_seconds(dialect, Post.published_at), Post.likes, Post.comments, Post.views,
               Post.is_contest, Post.external_id).where(Post.creator_id.in_(scope)),
        (_ints, _seconds, _floats, _floats, _floats, _bools, _objects),
    )
    snapshots = _converted(
        session,
        select(FollowerSnapshot.creator_id, _epoch_days(dialect, FollowerSnapshot.date), FollowerSnapshot.followers,
               FollowerSnapshot.following).where(FollowerSnapshot.creator_id.in_(scope)),
        (_ints, _day_numbers, _floats, _floats),
    )
    return {
        "post_creator": positions(creator_ids, posts[0]),
        "post_published_at": posts[1],
        "post_likes": posts[2],
        "post_comments": posts[3],
        "post_views": posts[4],
        "post_is_contest": posts[5],
        "post_external_id": posts[6],
        "snapshot_creator": positions(creator_ids, snapshots[0]),
        "snapshot_date": snapshots[1],
        "snapshot_followers": snapshots[2],
        "snapshot_following": snapshots[3],
        **read_edges(session, workspace_id, scope, creator_ids),
    }


def read_edges(session: Session, workspace_id: int, scope, creator_ids: np.ndarray) -> dict[str, np.ndarray]:
    """The ``comments`` edges and dated featuring edges between two creators of ``scope``."""
    dialect = session.get_bind().dialect.name
    comment_edges = _converted(
        session,
        select(CreatorEdge.source_id, CreatorEdge.target_id, CreatorEdge.weight).where(
            CreatorEdge.workspace_id == workspace_id, CreatorEdge.kind == "comments",
            CreatorEdge.source_id.in_(scope), CreatorEdge.target_id.in_(scope)),
        (_ints, _ints, _floats),
    )
    # A creator featuring another (mentions / collaborates, dated): explains a follower jump.
    feature_edges = _converted(
        session,
        select(CreatorEdge.source_id, CreatorEdge.target_id, _epoch_days(dialect, CreatorEdge.observed_at)).where(
            CreatorEdge.workspace_id == workspace_id, or_(CreatorEdge.kind == "mentions",
                                                          CreatorEdge.kind == "collaborates"),
            CreatorEdge.observed_at.is_not(None),
            CreatorEdge.source_id.in_(scope), CreatorEdge.target_id.in_(scope)),
        (_ints, _ints, _day_numbers),
    )
    return {
        "feature_source": positions(creator_ids, feature_edges[0]),
        "feature_target": positions(creator_ids, feature_edges[1]),
        "feature_date": feature_edges[2],
        "comment_source": positions(creator_ids, comment_edges[0]),
        "comment_target": positions(creator_ids, comment_edges[1]),
        "comment_weight": comment_edges[2],
    }


@dataclass(frozen=True)
class LatestSamples:
    """Each creator's latest audience sample: per creator (``sample_id`` -1 and ``sample_date``
    NaT without one), and the sample ids in ascending order with their creator's position."""

    sample_id: np.ndarray
    sample_date: np.ndarray
    ids: np.ndarray
    creator_position: np.ndarray


def read_latest_samples(session: Session, scope, creator_ids: np.ndarray) -> LatestSamples:
    latest = (
        select(AudienceSample.creator_id, func.max(AudienceSample.sampled_at).label("sampled_at"))
        .where(AudienceSample.creator_id.in_(scope))
        .group_by(AudienceSample.creator_id)
        .subquery()
    )
    samples = _rows(
        session,
        select(AudienceSample.id, AudienceSample.creator_id, AudienceSample.sampled_at).join(
            latest,
            (latest.c.creator_id == AudienceSample.creator_id) & (latest.c.sampled_at == AudienceSample.sampled_at),
        ).order_by(AudienceSample.id),
        3,
    )
    ids = _ints(samples[0])
    creator_position = positions(creator_ids, _ints(samples[1]))
    sample_date = np.full(len(creator_ids), np.datetime64("NaT", "D"))
    sample_id = np.full(len(creator_ids), -1, dtype=np.int64)
    if len(ids):
        sample_date[creator_position] = _days(samples[2].tolist())
        sample_id[creator_position] = ids
    return LatestSamples(sample_id, sample_date, ids, creator_position)


def read_audience(session: Session, workspace_id: int, creator_ids: np.ndarray,
                  samples: LatestSamples, *, details: bool = True) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """The latest samples' memberships and their members' profiles (``ScoringInputs`` fields),
    and the members' ids (ascending: the order of the member arrays).

    ``details=False`` leaves out what the audience classification does not use (language,
    gender, age range, member keys; see :func:`read_member_details`): a scoring run's
    audience worker classifies first and reads those after.
    """
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        # The id sets below are parameters. psycopg prepares a statement after five
        # executions on a connection, and PostgreSQL may then switch to a generic plan,
        # which estimates ``unnest($1)`` at 10 rows whatever the array holds (nested
        # loops again). Custom plans for the rest of this transaction only.
        session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
        # The members are matched to ~10^6 ids: a sort of that many ids (see _members_by_id)
        # spilled to disk with the default 4 MB of work memory, and the time of that read then
        # varied with the disk. Raised, never lowered, for this transaction only.
        raise_work_mem = text(
            "SELECT set_config('work_mem', :work_mem, true) "
            "WHERE pg_size_bytes(current_setting('work_mem')) < pg_size_bytes(:work_mem)"
        ).bindparams(work_mem=_READ_WORK_MEM)
        session.execute(raise_work_mem)
        reader = columnar_reader(session)
        if reader is not None:  # the connection that reads the members
            reader.execute(reader.sql(raise_work_mem, session.get_bind().dialect))
    membership_sample_ids, membership_member_ids = read_memberships(session, samples.ids)
    # Members by primary key, from the distinct member ids of those memberships
    # (deduplicated here, not by the database: on PostgreSQL the server-side
    # DISTINCT over 4M memberships spilled to disk).
    member_ids = distinct_ids(membership_member_ids)
    fields = read_members(session, workspace_id, member_ids, _PROFILE + (_DETAILS if details else ()))
    # Each membership's creator: its sample's position among the (sorted) sample ids.
    fields["sample_creator"] = samples.creator_position[positions(samples.ids, membership_sample_ids)]
    fields["sample_member"] = positions(member_ids, membership_member_ids)
    return fields, member_ids


def read_memberships(session: Session, sample_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The (sample id, member id) pairs of ``sample_ids``, as two int64 arrays: the one read of
    audience sample memberships (scoring runs, their audience worker, overlap reports, sketches).

    By the ids read before (sent back as one parameter) rather than by re-deriving the latest
    samples in a subquery: on PostgreSQL the (creator, max(sampled_at)) join is estimated at a
    handful of rows, and everything planned on top of it (nested loops, a HashAggregate over a
    million member ids spilling to disk, an external sort) was the slowest part of the read.
    With the ids as a literal array both databases know the set's size.
    """
    memberships = _rows(
        session,
        select(AudienceSampleMember.sample_id, AudienceSampleMember.member_id).where(
            AudienceSampleMember.sample_id.in_(id_set(session, sample_ids))
        ),
        2, dtype=np.int64,
    )
    return np.ascontiguousarray(_ints(memberships[0])), np.ascontiguousarray(_ints(memberships[1]))


# Member columns by ScoringInputs field: what the audience classification reads ...
_PROFILE = ("followers", "following", "posts_count", "has_avatar", "bio_length", "created_at", "last_post_at",
            "country", "language", "age_range")
# ... and what only the shares and sketches use: read last by a scoring run's audience worker.
# (Language and age range are read with the profile: the default-2 audience signals use them.)
_DETAILS = ("gender", "member_key")
# Members read per query: the driver's Python objects of one slice are alive at a time, not
# those of every member of the workspace.
MEMBER_SLICE = 100_000


def _member_column(dialect: str, name: str):
    column = getattr(AudienceMember, name)
    return _epoch_days(dialect, column) if name in ("created_at", "last_post_at") else column


def _member_field(name: str) -> tuple[str, Callable[[np.ndarray], np.ndarray]]:
    """A member column's ``ScoringInputs`` field and its converter (see :func:`_converted`)."""
    if name in ("followers", "following", "posts_count", "bio_length"):
        return f"member_{name}", _floats
    if name == "has_avatar":
        return "member_has_avatar", _bools
    if name in ("created_at", "last_post_at"):
        return f"member_{name}", _day_numbers
    if name == "member_key":
        # As the int64 keys the sketches are built from: 8 bytes a member, not a 32-character string.
        return "member_sketch_keys", lambda values: member_sketch_keys(_objects(values))
    return f"member_{name}", lambda values: coded(_objects(values))


def read_members(session: Session, workspace_id: int, member_ids: np.ndarray, columns: tuple[str, ...]
                 ) -> dict[str, np.ndarray]:
    """``columns`` (names of ``audience_members`` columns) of ``member_ids`` (ascending, distinct),
    as ``ScoringInputs`` fields in that order: numbers as floats, dates as datetime64[D],
    attributes :func:`~influencers.scoring.inputs.coded`, ``member_key`` as sketch keys
    (``member_sketch_keys``). Read :data:`MEMBER_SLICE` members at a time."""
    dialect = session.get_bind().dialect.name
    stmt = select(AudienceMember.id, *(_member_column(dialect, name) for name in columns)).where(
        AudienceMember.workspace_id == workspace_id)
    names, converters = zip(*(_member_field(name) for name in columns)) if columns else ((), ())
    parts: list[list[np.ndarray]] = []
    for start in range(0, max(len(member_ids), 1), MEMBER_SLICE):
        wanted = member_ids[start:start + MEMBER_SLICE]
        ids, *values = _converted(session, _members_by_id(session, stmt, wanted).order_by(AudienceMember.id),
                                  (_ints, *converters))
        if not np.array_equal(ids, wanted):
            raise LookupError("audience members changed within one transaction")
        parts.append(values)
    return {name: _concatenate([part[k] for part in parts]) for k, name in enumerate(names)}


def read_member_details(session: Session, workspace_id: int, member_ids: np.ndarray,
                        columns: tuple[str, ...] = ("language", "gender", "age_range", "member_key")
                        ) -> dict[str, np.ndarray]:
    """Detail ``columns`` (of language, gender, age_range, member_key) of ``member_ids``
    (ascending), as ``ScoringInputs`` fields in that order: what ``read_audience(details=False)``
    left out (see :func:`read_members`)."""
    return read_members(session, workspace_id, member_ids, tuple(columns))


# PostgreSQL work memory for the audience read's sorts (see read_audience).
_READ_WORK_MEM = "64MB"


def _members_by_id(session: Session, stmt, member_ids: np.ndarray):
    """``stmt`` (a select from ``audience_members``) restricted to ``member_ids`` (distinct).

    PostgreSQL: joined to the unnested id array. ``id IN (SELECT unnest(...))`` made the
    planner deduplicate the ids first (a HashAggregate it estimated at 200 rows: for
    900,000 ids, 85 batches spilled to disk, then an external sort), about twice the
    server time of the join, which can take the ids as they are since they are distinct.
    """
    if session.get_bind().dialect.name == "sqlite":
        return stmt.where(AudienceMember.id.in_(id_set(session, member_ids)))
    wanted = id_set(session, member_ids).subquery("wanted")
    return stmt.join(wanted, list(wanted.c)[0] == AudienceMember.id)


def id_set(session: Session, ids: np.ndarray):
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

