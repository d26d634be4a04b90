"""The import's two database backends: how rows are read, compared, inserted and updated
on SQLite (sqlite3) and PostgreSQL (psycopg 3), inside the import's transaction."""
from __future__ import annotations

import datetime as dt
from contextlib import contextmanager

import msgspec
from sqlalchemy.orm import Session

from influencers.db import IMPORT_LOCK, bulk_insert, lock_workspace_work

_UTC = dt.UTC
_json_encode = msgspec.json.encode


# Values are compared in the form the driver returns them, so each backend turns
# dates, timestamps and JSON into that form before comparing and writing.


class Backend:
    def begin(self, workspace_id: int) -> None: ...
    def end(self) -> None: ...


class SQLiteBackend(Backend):
    """sqlite3, inside the session's ``BEGIN IMMEDIATE`` transaction."""

    iso_dates = True  # dates are stored as 'YYYY-MM-DD' text
    insert_first = True  # see ChunkWriter._store

    # SQLAlchemy's storage formats on SQLite, so ORM and import rows compare equal.
    @staticmethod
    def date(d):
        return None if d is None else d.isoformat()

    @staticmethod
    def ts(t):
        if t.tzinfo is not _UTC:
            t = t.astimezone(_UTC)
        return t.replace(tzinfo=None).isoformat(" ", "microseconds")

    @staticmethod
    def json(v):
        # Compact JSON; stored JSON is read back through json() (minified) to compare.
        return None if v is None else _json_encode(v).decode()

    @staticmethod
    def json_wire(v):
        return v

    @staticmethod
    def json_column(name):
        return (name, f"json(t.{name})")

    def __init__(self, session: Session):
        self.session = session
        self.conn = session.connection().connection.driver_connection
        self._next_id: dict[str, int] = {}
        self._cache_size = None

    def begin(self, workspace_id: int) -> None:
        # A bigger page cache for the duration of the import: the unique indexes
        # of big tables (members) are probed and grown at random positions.
        self._cache_size = self.conn.execute("PRAGMA cache_size").fetchone()[0]
        self.conn.execute("PRAGMA cache_size = -262144")  # 256 MiB

    def end(self) -> None:
        if self._cache_size is not None:
            self.conn.execute(f"PRAGMA cache_size = {int(self._cache_size)}")

    def fetch(self, select, table, scope, key_cols, key_types, keys):
        on = [f"t.{c} = ?" for c, _ in scope]
        if len(key_cols) == 1:  # a JSON array of scalars
            on.append(f"t.{key_cols[0]} = k.value")
        else:  # a JSON array of arrays
            on += [f"t.{c} = k.value ->> {i}" for i, c in enumerate(key_cols)]
        # CROSS JOIN pins the join order: probe the table's unique index once per
        # key. (With a plain JOIN the planner may scan the workspace's rows instead.)
        sql = f"SELECT {select} FROM json_each(?) AS k CROSS JOIN {table} AS t WHERE {' AND '.join(on)}"
        return self.conn.execute(sql, [msgspec.json.encode(keys).decode(), *(v for _, v in scope)]).fetchall()

    def fetch_ranges(self, select, table, key_col, key_type, range_col, range_type, ranges):
        """Rows of ``table`` whose ``key_col`` is a range's key and ``range_col`` lies within its
        bounds; ``ranges``: (key, low, high) triples. One index range scan per triple."""
        sql = (f"SELECT {select} FROM json_each(?) AS k CROSS JOIN {table} AS t "
               f"WHERE t.{key_col} = k.value ->> 0 AND t.{range_col} BETWEEN k.value ->> 1 AND k.value ->> 2")
        return self.conn.execute(sql, [msgspec.json.encode(ranges).decode()]).fetchall()

    def rows_by_digest(self, select, table, digests):
        """Rows of ``table`` whose ``import_digest`` is one of ``digests`` (any workspace's:
        the caller checks): one probe of the digest index per digest."""
        sql = f"SELECT {select} FROM json_each(?) AS k CROSS JOIN {table} AS t WHERE t.import_digest = k.value"
        return self.conn.execute(sql, [msgspec.json.encode(digests).decode()]).fetchall()

    def snapshot_runs(self, workspace_id, digests):
        """The workspace's snapshot runs stored with one of ``digests``: (digest, creator id, first
        date, last date, rows check, platform, handle) rows. One probe of the digest index each."""
        sql = ("SELECT r.import_digest, r.creator_id, r.first_date, r.last_date, r.rows_check, c.platform, c.handle "
               "FROM json_each(?) AS k CROSS JOIN snapshot_runs AS r JOIN creators AS c ON c.id = r.creator_id "
               "WHERE r.import_digest = k.value AND c.workspace_id = ?")
        return self.conn.execute(sql, [msgspec.json.encode(digests).decode(), workspace_id]).fetchall()

    def snapshot_sums(self, ranges):
        """Per (creator id, first date, last date) of ``ranges``, in order: the number of snapshot
        rows in the range, of those with a digest, and the sums of their digests' high 40 and low
        24 bits (None when no row). One range scan of the (creator, date) index each."""
        sql = ("SELECT k.key, count(*), count(t.import_digest), sum(t.import_digest >> 24), "
               "sum(t.import_digest & 16777215) FROM json_each(?) AS k CROSS JOIN follower_snapshots AS t "
               "WHERE t.creator_id = k.value ->> 0 AND t.date BETWEEN k.value ->> 1 AND k.value ->> 2 GROUP BY k.key")
        got = {row[0]: row[1:] for row in self.conn.execute(sql, [msgspec.json.encode(ranges).decode()])}
        return [got.get(i, (0, 0, None, None)) for i in range(len(ranges))]

    def replace_snapshot_runs(self, rows):
        """Stores ``rows`` (creator id, first date, last date, digest, rows check) in place of the
        runs of the same creators whose dates overlap theirs."""
        self.conn.execute(
            "DELETE FROM snapshot_runs WHERE rowid IN (SELECT r.rowid FROM json_each(?) AS k CROSS JOIN "
            "snapshot_runs AS r WHERE r.creator_id = k.value ->> 0 AND r.first_date <= k.value ->> 2 "
            "AND r.last_date >= k.value ->> 1)", [msgspec.json.encode([row[:3] for row in rows]).decode()])
        self.insert("snapshot_runs", ("creator_id", "first_date", "last_date", "import_digest", "rows_check"), rows)

    def select_in(self, sql, ids):
        return self.conn.execute(
            sql.format(ids="(SELECT value FROM json_each(?))"), [msgspec.json.encode(ids).decode()]
        ).fetchall()

    def execute_with_ids(self, sql, *id_lists):
        """``sql`` with ``{ids0}``, ``{ids1}``... standing for the lists of ids (a statement)."""
        self.conn.execute(
            sql.format(**{f"ids{i}": "(SELECT value FROM json_each(?))" for i in range(len(id_lists))}),
            [msgspec.json.encode(list(ids)).decode() for ids in id_lists])

    def insert(self, table, cols, rows, ignore_conflicts=False):
        """-> the number of rows inserted (``ignore_conflicts``: rows whose key exists are not)."""
        return bulk_insert(self.session, table, cols, rows, skip_conflicts=ignore_conflicts)

    def max_rowid(self, table):
        return self.conn.execute(f"SELECT max(rowid) FROM {table}").fetchone()[0] or 0

    def keys_after(self, table, key_cols, rowid):
        """The keys of the rows inserted after ``rowid`` (rowids only grow here)."""
        rows = self.conn.execute(f"SELECT {', '.join(key_cols)} FROM {table} WHERE rowid > ?", [rowid])
        return [r[0] for r in rows] if len(key_cols) == 1 else rows.fetchall()

    def update(self, table, match_cols, set_cols, rows, extra=""):
        """``rows`` are (match values..., set values...)."""
        m = len(match_cols)
        sets = [f"{c} = ?{m + i + 1}" for i, c in enumerate(set_cols)]
        if extra:
            sets.append(extra)
        where = " AND ".join(f"{c} = ?{i + 1}" for i, c in enumerate(match_cols))
        self.conn.executemany(f"UPDATE {table} SET {', '.join(sets)} WHERE {where}", rows)

    def delete_in(self, table, col, ids):
        self.conn.execute(
            f"DELETE FROM {table} WHERE {col} IN (SELECT value FROM json_each(?))",
            [msgspec.json.encode(ids).decode()],
        )

    def delete_pairs(self, table, cols, rows):
        where = " AND ".join(f"{c} = ?" for c in cols)
        self.conn.executemany(f"DELETE FROM {table} WHERE {where}", rows)

    def allocate_ids(self, table, n):
        # Safe: the import holds SQLite's write lock (BEGIN IMMEDIATE) throughout.
        start = self._next_id.get(table)
        if start is None:
            start = (self.conn.execute(f"SELECT max(id) FROM {table}").fetchone()[0] or 0) + 1
        self._next_id[table] = start + n
        return range(start, start + n)


class PostgresBackend(Backend):
    """psycopg 3: COPY for bulk writes, arrays + unnest for set-based reads."""

    iso_dates = False  # psycopg adapts datetime.date
    insert_first = False  # see ChunkWriter._store

    @staticmethod
    def date(d):
        return d

    @staticmethod
    def ts(t):
        return t

    @staticmethod
    def json(v):
        return v

    @staticmethod
    def json_wire(v):
        return None if v is None else _json_encode(v).decode()

    @staticmethod
    def json_column(name):
        return name  # psycopg returns json as Python objects

    def __init__(self, session: Session):
        self.session = session
        self.conn = session.connection().connection.driver_connection
        self.cur = self.conn.cursor()
        self._sequences: dict[str, str] = {}
        self._staging: dict[tuple, str] = {}  # (table, columns) -> its staging table

    def begin(self, workspace_id: int) -> None:
        # Imports into one workspace run one at a time (the existing-rows read and
        # the inserts that follow must not interleave with another import's).
        lock_workspace_work(self.session, IMPORT_LOCK, workspace_id)
        # The key lookups look expensive to the planner (thousands of index probes)
        # and would be JIT-compiled for nothing, chunk after chunk.
        self.cur.execute("SET LOCAL jit = off")

    def end(self) -> None:
        self.cur.close()

    def fetch(self, select, table, scope, key_cols, key_types, keys):
        n = len(key_cols)
        arrays = ", ".join(f"%s::{t}[]" for t in key_types)
        names = ", ".join(f"k{i}" for i in range(n))
        on = [f"t.{c} = %s" for c, _ in scope] + [f"t.{c} = k.k{i}" for i, c in enumerate(key_cols)]
        # One unique-index probe per key: LATERAL ... LIMIT 1 cannot be flattened
        # into a hash join, which the planner would pick on the (stale) statistics
        # of a table this very import is filling -- and scan the whole table.
        sql = (
            f"SELECT {select} FROM unnest({arrays}) AS k({names}) CROSS JOIN LATERAL "
            f"(SELECT * FROM {table} AS t WHERE {' AND '.join(on)} LIMIT 1) AS t"
        )
        columns = [keys] if n == 1 else [list(col) for col in zip(*keys)]
        self.cur.execute(sql, [*columns, *(v for _, v in scope)])
        return self.cur.fetchall()

    def fetch_ranges(self, select, table, key_col, key_type, range_col, range_type, ranges):
        """Rows of ``table`` whose ``key_col`` is a range's key and ``range_col`` lies within its
        bounds; ``ranges``: (key, low, high) triples. One index range scan per triple."""
        sql = (f"SELECT {select} FROM unnest(%s::{key_type}[], %s::{range_type}[], %s::{range_type}[]) "
               f"AS k(key, low, high) CROSS JOIN LATERAL (SELECT * FROM {table} AS t "
               f"WHERE t.{key_col} = k.key AND t.{range_col} BETWEEN k.low AND k.high) AS t")
        self.cur.execute(sql, [list(col) for col in zip(*ranges)] if ranges else [[], [], []])
        return self.cur.fetchall()

    def rows_by_digest(self, select, table, digests):
        """Rows of ``table`` whose ``import_digest`` is one of ``digests`` (any workspace's:
        the caller checks): one probe of the digest index per digest."""
        # The digests have no statistics while the import that writes them runs: the planner
        # takes each digest to match 0.5% of the table and would scan the whole table per
        # digest (quadratic in an import). A digest matches one row: probe the index.
        # The setting is put back as it was (the transaction's, or the caller's), not to "on".
        self.cur.execute("SELECT current_setting('enable_seqscan')")
        previous = self.cur.fetchone()[0]
        self.cur.execute("SET LOCAL enable_seqscan = off")
        try:
            self.cur.execute(
                f"SELECT {select} FROM unnest(%s::int8[]) AS k(digest) CROSS JOIN LATERAL "
                f"(SELECT * FROM {table} AS t WHERE t.import_digest = k.digest LIMIT 1) AS t", [digests])
            return self.cur.fetchall()
        finally:
            self.cur.execute("SELECT set_config('enable_seqscan', %s, true)", [previous])

    def snapshot_runs(self, workspace_id, digests):
        """See ``SQLiteBackend.snapshot_runs``."""
        with self._probes_only():
            # One probe of the digest index per digest (a digest is keyed per workspace: another
            # workspace's run matches by a 2^-64 chance); the creators of the runs found, if any,
            # by id in a second query (joined, the plan over a table this import fills was slow).
            self.cur.execute(
                "SELECT r.import_digest, r.creator_id, r.first_date, r.last_date, r.rows_check "
                "FROM unnest(%s::int8[]) AS k(digest) CROSS JOIN LATERAL (SELECT * FROM snapshot_runs AS r "
                "WHERE r.import_digest = k.digest LIMIT 1) AS r", [digests])
            runs = self.cur.fetchall()
            if not runs:
                return []
            self.cur.execute("SELECT id, platform, handle FROM creators WHERE id = ANY(%s::int4[]) "
                             "AND workspace_id = %s", [list({run[1] for run in runs}), workspace_id])
            names = {cid: (platform, handle) for cid, platform, handle in self.cur.fetchall()}
        return [(*run, *names[run[1]]) for run in runs if run[1] in names]

    def snapshot_sums(self, ranges):
        """See ``SQLiteBackend.snapshot_sums``."""
        with self._probes_only():
            self.cur.execute(
                "SELECT a.n, a.digested, a.high, a.low FROM unnest(%s::int4[], %s::date[], %s::date[]) "
                "WITH ORDINALITY AS k(cid, low, high, i) CROSS JOIN LATERAL (SELECT count(*) AS n, "
                "count(t.import_digest) AS digested, sum(t.import_digest >> 24) AS high, "
                "sum(t.import_digest & 16777215) AS low FROM follower_snapshots AS t "
                "WHERE t.creator_id = k.cid AND t.date BETWEEN k.low AND k.high) AS a ORDER BY k.i",
                [list(col) for col in zip(*ranges)] if ranges else [[], [], []])
            return [(n, d, None if h is None else int(h), None if lo is None else int(lo))
                    for n, d, h, lo in self.cur.fetchall()]

    def replace_snapshot_runs(self, rows):
        """See ``SQLiteBackend.replace_snapshot_runs``."""
        with self._probes_only():
            self.cur.execute(
                "DELETE FROM snapshot_runs AS r USING unnest(%s::int4[], %s::date[], %s::date[]) AS k(cid, low, high) "
                "WHERE r.creator_id = k.cid AND r.first_date <= k.high AND r.last_date >= k.low",
                [list(col) for col in zip(*(row[:3] for row in rows))])
        self.insert("snapshot_runs", ("creator_id", "first_date", "last_date", "import_digest", "rows_check"), rows)

    @contextmanager
    def _probes_only(self):
        """Index probes for the statement inside: tables this import fills have stale statistics,
        and the planner would scan a whole table per key (see ``rows_by_digest``)."""
        self.cur.execute("SELECT current_setting('enable_seqscan')")
        previous = self.cur.fetchone()[0]
        self.cur.execute("SET LOCAL enable_seqscan = off")
        try:
            yield
        finally:
            self.cur.execute("SELECT set_config('enable_seqscan', %s, true)", [previous])

    def select_in(self, sql, ids):
        self.cur.execute(sql.format(ids="(SELECT unnest(%s::int8[]))"), [list(ids)])
        return self.cur.fetchall()

    def execute_with_ids(self, sql, *id_lists):
        """``sql`` with ``{ids0}``, ``{ids1}``... standing for the lists of ids (a statement)."""
        self.cur.execute(
            sql.format(**{f"ids{i}": "(SELECT unnest(%s::int8[]))" for i in range(len(id_lists))}),
            [list(ids) for ids in id_lists])

    def insert(self, table, cols, rows):
        bulk_insert(self.session, table, cols, rows)

    def update(self, table, match_cols, set_cols, rows, extra=""):
        sets = [f"{c} = u.{c}" for c in set_cols]
        if extra:
            sets.append(extra)
        where = " AND ".join(f"t.{c} = u.{c}" for c in match_cols)
        columns = (table, *match_cols, *set_cols)
        stage = self._staging.get(columns)
        if stage is None:
            # One staging table per column set (a table is updated with more than one).
            stage = self._staging[columns] = f"_import_{table}_{len(self._staging)}"
            cols = ", ".join((*match_cols, *set_cols))
            self.cur.execute(
                f"CREATE TEMP TABLE {stage} ON COMMIT DROP AS SELECT {cols} FROM {table} WITH NO DATA"
            )
        else:
            self.cur.execute(f"TRUNCATE {stage}")
        self.insert(stage, (*match_cols, *set_cols), rows)
        self.cur.execute(f"UPDATE {table} AS t SET {', '.join(sets)} FROM {stage} AS u WHERE {where}")

    def delete_in(self, table, col, ids):
        self.cur.execute(f"DELETE FROM {table} WHERE {col} = ANY(%s::int8[])", [list(ids)])

    def delete_pairs(self, table, cols, rows):
        a, b = cols
        self.cur.execute(
            f"DELETE FROM {table} AS t USING unnest(%s::int8[], %s::int8[]) AS d(a, b) "
            f"WHERE t.{a} = d.a AND t.{b} = d.b",
            [[r[0] for r in rows], [r[1] for r in rows]],
        )

    def allocate_ids(self, table, n):
        seq = self._sequences.get(table)
        if seq is None:
            self.cur.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
            seq = self._sequences[table] = self.cur.fetchone()[0]
        self.cur.execute("SELECT nextval(%s) FROM generate_series(1, %s)", [seq, n])
        return [r[0] for r in self.cur.fetchall()]
