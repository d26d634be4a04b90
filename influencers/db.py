"""Database plumbing: the declarative base, engines and sessions.

Domain code takes a plain SQLAlchemy ``Session``; nothing here knows about Flask,
so the CLI, background jobs and benchmarks use the same functions as the API.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TypeVar

import msgspec
import numpy as np
from sqlalchemy import (
    BigInteger,
    DateTime,
    Engine,
    Float,
    Integer,
    MetaData,
    Select,
    SmallInteger,
    Table,
    Text,
    create_engine,
    event,
    func,
    literal_column,
    select,
    text,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from influencers import row_security

log = logging.getLogger(__name__)
T = TypeVar("T")

# Stable constraint names, so Alembic migrations can drop/alter them on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class JSONText(TypeDecorator):
    """A JSON value stored as text: for documents the database never looks inside.

    PostgreSQL's ``json`` type parses every value it stores to validate it: for a
    scoring run's ~110 MB of explanations, work spent on documents only ever read
    back whole. Written compact by
    :func:`encode_json` (bulk inserts pass that text directly), read back with msgspec.
    """

    impl = Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else encode_json(value)

    def process_result_value(self, value, dialect):
        return None if value is None else msgspec.json.decode(value)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC timestamps on every backend.

    SQLite has no timezone support: values are stored naive in UTC and given
    their UTC tzinfo back on load, so API output is always RFC 3339 with offset.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dt.datetime: UTCDateTime()}


def normalise_url(url: str) -> str:
    """Accept the common ``postgresql://`` / ``postgres://`` spellings and use psycopg 3."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def make_engine(url: str, **kwargs) -> Engine:
    url = normalise_url(url)
    if make_url(url).get_backend_name() == "sqlite":
        return _make_sqlite_engine(url, **kwargs)
    # No pre-ping (a round trip per checkout): a connection the server dropped fails on first
    # use, the pool then discards it and every older one, and callers retry once on a fresh
    # one (``retry_on_disconnect``; the API's views: ``unit_of_work``).
    return create_engine(url, **kwargs)


def retry_on_disconnect(func: Callable[[], T]) -> T:
    """``func()``, called once more if it failed because its database connection was lost.

    ``func`` must be safe to run again: a read, or a transaction of its own (a lost
    connection's transaction committed nothing).
    """
    try:
        return func()
    except DBAPIError as error:
        if not error.connection_invalidated:
            raise
        return func()


SQLITE_CACHE_KIB = 64 * 1024


def _make_sqlite_engine(url: str, **kwargs) -> Engine:
    # The driver's own transaction handling is switched off (isolation_level=None)
    # so that we emit BEGIN ourselves: write sessions take the write lock up front
    # with BEGIN IMMEDIATE. A deferred BEGIN that later upgrades to a writer is what
    # makes concurrent gunicorn workers fail with "database is locked" (the busy
    # timeout cannot help a lock upgrade) and lose updates.
    engine = create_engine(
        url, connect_args={"timeout": 30, "check_same_thread": False}, **kwargs
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        if make_url(url).database not in (None, "", ":memory:"):
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
        # Up to 64 MiB of page cache per connection (the default is 2 MiB), allocated only
        # as pages are used: bulk writes into indexed tables (a scoring run's 750,000
        # audience-share rows) otherwise evict and re-read index pages for every row.
        cur.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        if conn.get_execution_options().get("sqlite_begin_immediate"):
            conn.exec_driver_sql("BEGIN IMMEDIATE")  # may wait and fail (locked): SQLAlchemy wraps the error
        else:
            # Straight to the driver: a deferred BEGIN takes no lock and cannot fail, and SQLAlchemy's
            # statement path (events, an execution context) cost a tenth of a one-row read.
            conn.connection.driver_connection.execute("BEGIN")

    return engine


def postgresql_types(table: Table, columns: Sequence[str]) -> list[str]:
    """The PostgreSQL type names of ``table``'s ``columns`` (for ``bulk_insert(binary_types=...)``)."""
    from sqlalchemy.dialects import postgresql

    return [table.c[name].type.compile(dialect=postgresql.dialect()).lower() for name in columns]


def bulk_insert(session: Session, table: str, columns: Sequence[str], rows: Iterable[Sequence], *,
                binary_types: Sequence[str] | None = None, skip_conflicts: bool = False) -> int:
    """Inserts ``rows`` (tuples in ``columns`` order) into ``table`` in the session's transaction,
    on the driver's fastest path: one sqlite3 ``executemany``, or psycopg's ``COPY ... FROM STDIN``.
    Returns the number of rows inserted.

    For 10^4-10^6 rows SQLAlchemy's executemany spends more time building and
    processing a dict per row than the database spends inserting them (and its
    PostgreSQL "insertmanyvalues" batches are slower than COPY). No type
    processing happens here, so values must already be what the column stores on
    both backends: numbers, str, None, bool, dates as ISO 'YYYY-MM-DD' strings, JSON
    as encoded text (see ``encode_json``). ``table`` and ``columns`` are our own
    schema names, never request input. ``binary_types`` (PostgreSQL type names, one per
    column): COPY in binary format instead, e.g. for ``bytea`` values, which text COPY
    sends hex-escaped at twice their size. ``skip_conflicts``: rows whose unique key is
    already stored are left out instead of failing (``ON CONFLICT DO NOTHING``; on
    PostgreSQL plain inserts, as COPY has no such clause).
    """
    connection = session.connection()
    quote = connection.dialect.identifier_preparer.quote
    names = ", ".join(quote(c) for c in columns)
    on_conflict = " ON CONFLICT DO NOTHING" if skip_conflicts else ""
    if connection.dialect.name == "sqlite":
        marks = ", ".join("?" * len(columns))
        return connection.connection.driver_connection.executemany(
            f"INSERT INTO {quote(table)} ({names}) VALUES ({marks}){on_conflict}", rows).rowcount
    if skip_conflicts or row_security.is_restricted(session):
        # PostgreSQL refuses COPY FROM into a table with row security to a restricted role
        # (an API request's transaction): plain inserts, which the policies check.
        marks = ", ".join(["%s"] * len(columns))
        with connection.connection.driver_connection.cursor() as cursor:
            cursor.executemany(f"INSERT INTO {quote(table)} ({names}) VALUES ({marks}){on_conflict}", rows)
            return cursor.rowcount
    written = 0
    with _copy_from_stdin(session, table, columns, binary=bool(binary_types)) as copy:
        if binary_types:
            copy.set_types(binary_types)
        write_row = copy.write_row
        for written, row in enumerate(rows, 1):  # noqa: B007  (the count is returned)
            write_row(row)
    return written


@contextmanager
def _copy_from_stdin(session: Session, table: str, columns: Sequence[str], *, binary: bool):
    """psycopg's ``COPY table (columns) FROM STDIN`` on the session's connection (PostgreSQL)."""
    connection = session.connection()
    quote = connection.dialect.identifier_preparer.quote
    names = ", ".join(quote(c) for c in columns)
    statement = f"COPY {quote(table)} ({names}) FROM STDIN" + (" (FORMAT BINARY)" if binary else "")
    with connection.connection.driver_connection.cursor() as cursor, cursor.copy(statement) as copy:
        yield copy


# PostgreSQL's binary COPY encoding of the fixed-width column types bulk_insert_arrays takes
# (big-endian, as the protocol sends them), most specific type first.
_BINARY_COPY_TYPES = ((SmallInteger, ">i2"), (BigInteger, ">i8"), (Integer, ">i4"), (Float, ">f8"))
# The binary COPY header (signature, flags, header extension length) and trailer.
_BINARY_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + bytes(8)
_BINARY_COPY_TRAILER = b"\xff\xff"


def bulk_insert_arrays(session: Session, table: Table, arrays: dict[str, np.ndarray]) -> None:
    """Inserts the rows of equal-length numeric ``arrays`` (column name -> values, no NULLs)
    into ``table`` in the session's transaction, like :func:`bulk_insert`.

    On PostgreSQL the rows go as one binary ``COPY`` payload built by numpy: with
    fixed-width columns every row is one record of a structured array, so no Python
    object is made per row or value, and the server parses no text.
    Integer and double columns only; a value out of its column's range is a ValueError
    on both backends (the binary cast would wrap it silently).
    """
    n_rows = len(next(iter(arrays.values()))) if arrays else 0
    fields = [("field_count", ">i2")]
    for name, values in arrays.items():
        column_type = table.c[name].type
        code = next((code for kind, code in _BINARY_COPY_TYPES if isinstance(column_type, kind)), None)
        if code is None or (code == ">f8" and (column_type.precision or 53) <= 24):  # real: 4 bytes
            raise TypeError(f"{table.name}.{name}: bulk_insert_arrays takes integer and double columns")
        if len(values) != n_rows:
            raise ValueError(f"{table.name}.{name}: {len(values)} values for {n_rows} rows")
        if code != ">f8" and n_rows:
            limits = np.iinfo(np.dtype(code))
            if np.min(values) < limits.min or np.max(values) > limits.max:
                raise ValueError(f"{table.name}.{name}: values out of the column's range")
        fields += [(f"{name}_length", ">i4"), (name, code)]
    if session.get_bind().dialect.name == "sqlite":
        bulk_insert(session, table.name, list(arrays), zip(*(np.asarray(a).tolist() for a in arrays.values())))
        return
    records = np.empty(n_rows, dtype=fields)
    records["field_count"] = len(arrays)
    for name, values in arrays.items():
        records[f"{name}_length"] = records.dtype[name].itemsize
        records[name] = values
    with _copy_from_stdin(session, table.name, list(arrays), binary=True) as copy:
        copy.write(_BINARY_COPY_HEADER)
        copy.write(records.data)
        copy.write(_BINARY_COPY_TRAILER)


def _encode_float_subclass(value):
    # numpy float64 is a float subclass json.dumps accepts and msgspec does not.
    if isinstance(value, float):
        return float(value)
    raise NotImplementedError(f"cannot encode {type(value).__name__} as JSON")


_json_encoder = msgspec.json.Encoder(enc_hook=_encode_float_subclass)


def json_fragments(values) -> list[msgspec.Raw]:
    """Each of ``values`` encoded now, as a fragment :func:`encode_json` embeds as is (the
    same text as encoding it in place): parts of documents made ahead of the rest."""
    encode = _json_encoder.encode
    return [msgspec.Raw(encode(value)) for value in values]


def encode_json(value) -> str:
    """``value`` as compact JSON text for :func:`bulk_insert` into a ``JSON`` column.

    msgspec encodes faster than the ``json.dumps`` SQLAlchemy's JSON type
    uses; the text differs only in whitespace, so it reads back (through the ORM,
    ``json.loads`` or PostgreSQL's ``json`` type) as the same value.
    """
    return _json_encoder.encode(value).decode()


def fetch_page(session: Session, stmt: Select, *, offset: int, limit: int, rows: bool = False) -> list:
    """One page of ``stmt``: its first column's objects (or whole rows with ``rows``)."""
    stmt = stmt.limit(limit).offset(offset)
    return session.execute(stmt).all() if rows else session.scalars(stmt).unique().all()


def count_rows(session: Session, stmt: Select) -> int:
    """How many rows ``stmt`` answers (ordering dropped, nothing but the rows' existence selected)."""
    return session.scalar(
        select(func.count()).select_from(stmt.order_by(None).with_only_columns(literal_column("1")).subquery()))


# The advisory lock namespace of imports (see lock_workspace_work): a workspace's imports run
# one at a time, and erasure and retention, which change the audience members an import
# caches by id, wait for them.
IMPORT_LOCK = "influencers.imports"


def lock_workspace_work(session: Session, namespace: str, workspace_id: int) -> None:
    """PostgreSQL: waits for, then holds until the transaction ends, the advisory lock on
    ``namespace`` work (e.g. imports) in one workspace of this schema (SQLite: nothing; its
    write transactions are serialised already).

    Advisory locks are shared by a whole database: the key hashes the namespace and the
    schema the session works in, seeded with the workspace id, so workspaces of the same id
    in two schemas (tenants, test schemas) do not wait for each other.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    session.execute(text(
        "SELECT pg_advisory_xact_lock(hashtextextended(:namespace || '/' || coalesce(current_schema(), ''), "
        ":workspace))"), {"namespace": namespace, "workspace": workspace_id})


def check_connection(session: Session) -> None:
    """Raises unless the database answers a trivial statement (health checks)."""
    session.execute(text("SELECT 1"))


class Database:
    """An engine plus two session factories: one for reads, one for writes.

    Write sessions start with ``BEGIN IMMEDIATE`` on SQLite (see above); on
    PostgreSQL both are the same ordinary transaction.
    """

    def __init__(self, url: str, **engine_kwargs):
        self.url = normalise_url(url)
        self.engine = make_engine(self.url, **engine_kwargs)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        write_engine = (
            self.engine.execution_options(sqlite_begin_immediate=True)
            if self.is_sqlite
            else self.engine
        )
        # Sessions know their Database, so domain code holding only a session can have
        # jobs dispatched once its transaction commits (runner.dispatch_after_commit).
        self._read = sessionmaker(bind=self.engine, expire_on_commit=False, info={"database": self})
        self._write = sessionmaker(bind=write_engine, expire_on_commit=False, info={"database": self})
        # The settings of the process that made it (jobs dispatched after a commit run with
        # them); None: load_settings().
        self.settings = None

    def session(self, *, write: bool = False) -> Session:
        return (self._write if write else self._read)()

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on error."""
        session = self.session(write=write)
        try:
            with session.begin():
                yield session
        finally:
            session.close()

    def refresh_statistics(self, tables: Sequence[str], *, vacuum: bool = False) -> None:
        """Refreshes the query planner's statistics of ``tables`` after bulk work.

        SQLite has no statistics until ANALYZE runs, and without them it picks the
        low-cardinality ``(workspace_id, is_current)`` indexes for "selective" and
        scans every score per search (discovery p99 in seconds at 100k creators);
        ``analysis_limit`` bounds the work to ~1,000 rows per index (milliseconds).
        PostgreSQL's autovacuum gets there on its own, but only some time after a
        bulk import or scoring run: until then estimates are stale (ANALYZE samples
        a bounded number of rows: fast) and, with ``vacuum``, freshly written pages
        are not yet all-visible, so covering indexes still visit the heap (and the
        first reader sets hint bits on every fresh row). VACUUM reads the pages
        written since the last one (it skips all-visible pages): bulk imports and
        scoring runs ask for it, as their tables are read right after.
        Best effort: a failure is logged, never raised to the caller whose work has
        already been committed.
        """
        quote = self.engine.dialect.identifier_preparer.quote
        try:
            if self.is_sqlite:
                # As a writer from the start (BEGIN IMMEDIATE): ANALYZE writes sqlite_stat1.
                with self.engine.execution_options(sqlite_begin_immediate=True).connect() as conn:
                    conn.exec_driver_sql("PRAGMA analysis_limit = 1000")
                    for table in tables:
                        # Table names come from our own metadata, never from a request.
                        conn.exec_driver_sql(f"ANALYZE {quote(table)}")
                    conn.commit()
            else:
                # VACUUM cannot run inside a transaction block.
                command = "VACUUM (ANALYZE)" if vacuum else "ANALYZE"
                with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                    conn.exec_driver_sql(f"{command} {', '.join(quote(table) for table in tables)}")
        except Exception:  # noqa: BLE001 -- statistics are an optimisation
            log.warning("could not refresh planner statistics of %s", ", ".join(tables), exc_info=True)

    def dispose(self) -> None:
        self.engine.dispose()
