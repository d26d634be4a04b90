"""Columnar reads of large SELECTs on PostgreSQL, through ADBC (Apache Arrow's database driver).

psycopg returns rows as Python tuples, one object per value: for the millions of rows
a scoring run reads (4M sample memberships, 0.9M members, 1.8M snapshots at 20,000
creators), making those objects and turning them into numpy arrays costs the client
two to three times what the server and the transfer take. ADBC's PostgreSQL driver
(``adbc-driver-postgresql``) reads a query as a binary ``COPY`` and decodes it in C++
into Arrow columns, which become numpy arrays with no Python object per value (strings
excepted).

A reader is a second connection that adopts the transaction snapshot of the session
it serves (``pg_export_snapshot`` / ``SET TRANSACTION SNAPSHOT``), so everything it
reads belongs to the same state of the database as the session's own reads. It reads
the statement the session would have sent: compiled by the session's dialect and bound
by psycopg on the client (``ClientCursor.mogrify``), since ``COPY`` takes no parameters.

Use::

    with columnar_reads(session):      # SQLite: does nothing
        load_inputs(session, ...)      # its reads go through columnar_reader(session)

The values come out as the driver's would after conversion to numpy: integers as int64
(with NULLs: float64 with nan), doubles as float64 (NULL: nan), strings and booleans with
NULLs as object arrays (``None``), dates as datetime64[D], timestamps as naive UTC
datetime64[us].
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

_SESSION_KEY = "influencers.columnar_reader"
# What pg_export_snapshot returns (e.g. 00000003-0000001B-1).
_SNAPSHOT_ID = re.compile(r"^[0-9A-Fa-f]+(-[0-9A-Fa-f]+)+$")


def set_transaction_snapshot(snapshot: str) -> str:
    """``SET TRANSACTION SNAPSHOT`` of an id ``pg_export_snapshot`` returned, checked first:
    the statement takes no bind parameter, so the id is spliced into it."""
    if not _SNAPSHOT_ID.match(snapshot):
        raise ValueError(f"not a snapshot id: {snapshot!r}")
    return f"SET TRANSACTION SNAPSHOT '{snapshot}'"


def columnar_reader(session: Session) -> ColumnarReader | None:
    """The reader :func:`columnar_reads` attached to ``session``, if any."""
    return session.info.get(_SESSION_KEY)


@contextmanager
def columnar_reads(session: Session, reader: ColumnarReader | None = None) -> Iterator[ColumnarReader | None]:
    """Attaches a :class:`ColumnarReader` on ``session``'s snapshot for the block (PostgreSQL;
    on SQLite, whose driver reads in C already, nothing is attached and ``None`` yielded).

    ``reader``: one connected ahead of time (:meth:`ColumnarReader.connect`), so that
    connecting is not on the way of the first read; closed at the end of the block.

    The session's transaction should be REPEATABLE READ (one snapshot for all its reads):
    in READ COMMITTED the reader keeps the snapshot of the moment the block begins, while
    the session's own later statements see newer commits.
    """
    if session.get_bind().dialect.name != "postgresql" or columnar_reader(session) is not None:
        if reader is not None:
            reader.close()
        yield columnar_reader(session)
        return
    try:
        if reader is None:
            reader = ColumnarReader.connect(session.get_bind().url)
        reader.adopt(session)
        session.info[_SESSION_KEY] = reader
        yield reader
    finally:
        session.info.pop(_SESSION_KEY, None)
        if reader is not None:
            reader.close()


class ColumnarReader:
    """An ADBC connection reading in a REPEATABLE READ transaction on another session's snapshot."""

    def __init__(self, connection):
        self._connection = connection
        self._cursor = connection.cursor()
        self._psycopg = None
        self._in_transaction = False
        self.closed = False

    @classmethod
    def connect(cls, url) -> ColumnarReader:
        """A reader connected to the database of ``url`` (an SQLAlchemy URL of PostgreSQL)."""
        import adbc_driver_postgresql.dbapi as adbc

        # libpq's URI: the URL without SQLAlchemy's driver name (its query, e.g.
        # ``options=-csearch_path=...``, holds libpq parameters).
        uri = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        # Autocommit as far as the driver knows: the transaction is ours (see adopt, close).
        connection = adbc.connect(uri, autocommit=True)
        try:
            return cls(connection)
        except BaseException:
            connection.close()
            raise

    def adopt(self, session: Session) -> None:
        """Begins this reader's transaction on ``session``'s snapshot (exported from its transaction)."""
        snapshot = session.execute(text("SELECT pg_export_snapshot()")).scalar_one()
        # The session's psycopg connection binds parameters on the client, as psycopg would send them.
        self._psycopg = session.connection().connection.driver_connection
        self.begin(snapshot)

    def begin(self, snapshot: str | None = None) -> None:
        """Begins this reader's read-only REPEATABLE READ transaction (on ``snapshot``, exported
        by another transaction, when given); :meth:`close` ends it."""
        self._cursor.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        self._in_transaction = True
        if snapshot is not None:
            self._cursor.execute(set_transaction_snapshot(snapshot))

    def sql(self, statement, dialect) -> str:
        """``statement`` (SQLAlchemy Core) as SQL text with its parameters bound by psycopg."""
        import psycopg

        compiled = statement.compile(dialect=dialect)
        return psycopg.ClientCursor(self._psycopg).mogrify(str(compiled), compiled.params)

    def execute(self, sql: str) -> None:
        """Runs ``sql`` (a SELECT: the driver wraps it in COPY) for its effect, e.g. ``set_config``."""
        self.arrow(sql)

    def arrow(self, sql: str):
        """The result of the SELECT ``sql`` as an Arrow table."""
        self._cursor.execute(sql)
        return self._cursor.fetch_arrow_table()

    def columns(self, sql: str) -> list[np.ndarray]:
        """The result of the SELECT ``sql`` as one numpy array per column (see the module docstring)."""
        table = self.arrow(sql)
        return [_numpy_column(table.column(k)) for k in range(table.num_columns)]

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        try:
            if self._in_transaction:
                self._in_transaction = False
                self._cursor.execute("ROLLBACK")  # read only: nothing to commit
            self._cursor.close()
        finally:
            self._connection.close()


# Above this many distinct values per row, a string column is converted value by value
# instead of through its dictionary (member keys, post ids: all distinct).
_DICTIONARY_MAX_SHARE = 0.25
_DICTIONARY_PROBE_ROWS = 10_000


def _numpy_column(column) -> np.ndarray:
    import pyarrow as pa
    import pyarrow.compute as pc

    kind = column.type
    if pa.types.is_integer(kind):
        values = column.to_numpy()  # with NULLs: float64, nan for NULL
        return values if column.null_count else values.astype(np.int64, copy=False)
    if pa.types.is_floating(kind):
        return column.to_numpy().astype(float, copy=False)
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        # Countries, languages, age ranges: a few dozen distinct values in a million rows.
        # Converting the dictionary and gathering it makes one Python string per distinct value.
        # Member keys and post ids are all distinct: the first rows tell, before a hash of all.
        head = column.slice(0, _DICTIONARY_PROBE_ROWS)
        if len(pc.unique(head)) > _DICTIONARY_MAX_SHARE * max(len(head), 1):
            return column.to_numpy()
        encoded = pc.dictionary_encode(column).combine_chunks()
        if len(encoded.dictionary) > _DICTIONARY_MAX_SHARE * max(len(column), 1):
            return column.to_numpy()
        vocabulary = np.array(encoded.dictionary.to_pylist() + [None], dtype=object)
        return vocabulary[pc.fill_null(encoded.indices, -1).to_numpy()]
    if pa.types.is_timestamp(kind):
        # Arrow keeps timestamptz as UTC: the naive datetime64 is the UTC time.
        return column.cast(pa.timestamp("us")).to_numpy()
    if pa.types.is_date(kind):
        return column.cast(pa.date32()).to_numpy().astype("datetime64[D]")
    # Booleans (object when NULLs are present) and anything else: as the driver would give them.
    return column.to_numpy()
