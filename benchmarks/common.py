"""What the benchmark scripts share: a scratch database with one workspace in a temporary folder,
rows inserted in bulk, wall and CPU time of a step, the load average, and peak memory.

The scripts put the repository root on ``sys.path`` before importing this module.
"""
from __future__ import annotations

import os
import resource
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import text

from influencers import models  # noqa: F401  (fills Base.metadata)
from influencers.assembly import assemble
from influencers.db import Base, Database
from influencers.workspaces.service import create_workspace

assemble()  # job kinds and scoring's recalibration, as the CLI and the server have them


def maxrss_mib() -> float:
    """Peak resident memory of this process so far, in MiB."""
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 1024 if sys.platform != "darwin" else rss / 2**20


def remove_workdir(workdir: Path) -> None:
    """The benchmark's temporary folder (generated data, SQLite files), with everything in it."""
    shutil.rmtree(workdir, ignore_errors=True)


class Target:
    """An empty database with the schema and one workspace: a SQLite file in ``workdir``,
    or a fresh schema in the PostgreSQL database ``url`` names (dropped by :meth:`drop`).

    On PostgreSQL the schema goes in the URL itself (``options=-csearch_path=...``), so
    subprocesses given ``self.url`` land in it too.
    """

    def __init__(self, url: str | None, workdir: Path, name: str):
        self.schema = None
        self.prewarm_failure: str | None = None  # why PostgreSQL's files are not warmed, if they are not
        self.admin_url = url
        if url is None or url.startswith("sqlite"):
            self.url = url or f"sqlite:///{workdir / (name + '.db')}"
        else:
            self.schema = f"bench_{name}_{uuid.uuid4().hex[:8]}"
            admin = Database(url)
            with admin.engine.begin() as conn:
                conn.execute(text(f'CREATE SCHEMA "{self.schema}"'))
            admin.dispose()
            self.url = url + ("&" if "?" in url else "?") + f"options=-csearch_path%3D{self.schema}"
        self.db = Database(self.url)
        self.backend = self.db.engine.dialect.name
        Base.metadata.create_all(self.db.engine)
        with self.db.transaction() as session:
            workspace, _, _ = create_workspace(session, f"bench-{name}")
            self.workspace_id = workspace.id

    def warm_page_cache(self) -> None:
        """Reads the database's files once, so that every timed step starts with them in the
        OS page cache: on a VM that reclaims cold page cache (this one evicts a few percent
        of a file within seconds), a step could otherwise pay for disk reads another step did
        not -- a scoring run right after the import reads tables the VM has partly evicted,
        while the floor, measured after the runs, reads them warm. Figures of CPU-bound work,
        not of the disk.

        SQLite: the database file and its WAL. PostgreSQL: every table and index of the
        target's schema (no timed step reads TOAST: only explanations are toasted), read block
        by block with ``pg_prewarm(rel, 'read')`` (the contrib extension; created in the
        target's schema, so it goes with it) into the OS page cache, not into PostgreSQL's
        shared buffers. Without the extension (not installed, or no right to create it)
        nothing is warmed, and the script says so.
        """
        if self.backend == "postgresql":
            self._prewarm_postgresql()
            return
        database = Path(self.db.engine.url.database)
        for path in (database, database.with_name(database.name + "-wal")):
            if path.exists():
                with open(path, "rb") as fh:
                    while fh.read(16 << 20):
                        pass

    def _prewarm_postgresql(self) -> None:
        if self.prewarm_failure is not None:
            return
        try:
            with self.db.engine.begin() as conn:
                extension_schema = conn.execute(text(
                    "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
                    "WHERE e.extname = 'pg_prewarm'")).scalar()
                if extension_schema is None:
                    conn.execute(text(f'CREATE EXTENSION pg_prewarm SCHEMA "{self.schema}"'))
                    extension_schema = self.schema
                conn.execute(text(
                    f'SELECT "{extension_schema}".pg_prewarm(c.oid, \'read\') FROM pg_class c '
                    "JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE n.nspname = :schema AND c.relkind IN ('r', 'i')"), {"schema": self.schema})
        except Exception as error:  # noqa: BLE001 -- a benchmark without warming still runs
            self.prewarm_failure = f"{type(error).__name__}: {str(error).splitlines()[0]}"
            print(f"note: the PostgreSQL page cache is not warmed before timed steps ({self.prewarm_failure})",
                  file=sys.stderr)

    def checkpoint(self) -> None:
        """PostgreSQL: writes out every dirty buffer now (a superuser's or pg_checkpoint's
        right), so that a timed step does not run alongside a checkpoint an earlier step
        caused. Nothing to do on SQLite."""
        if self.backend != "postgresql":
            return
        with self.db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("CHECKPOINT"))

    def row_counts(self, tables: Iterable[str]) -> dict[str, int]:
        with self.db.transaction(write=False) as session:
            return {t: session.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in tables}

    def drop(self) -> None:
        self.db.dispose()
        if self.schema is not None:
            admin = Database(self.admin_url)
            with admin.engine.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{self.schema}" CASCADE'))
            admin.dispose()


@contextmanager
def scratch_target(url: str | None, name: str, *, keep: bool = False) -> Iterator[tuple[Target, Path]]:
    """A :class:`Target` in a new temporary folder, and the folder: both removed on leaving, unless
    ``keep`` (then the database's URL is printed)."""
    workdir = Path(tempfile.mkdtemp(prefix=f"bench_{name}_"))
    target = None
    try:
        target = Target(url, workdir, name)
        yield target, workdir
    finally:
        if keep and target is not None:
            print(f"kept: {target.url}")
        else:
            if target is not None:
                target.drop()
            remove_workdir(workdir)


class Timed:
    """Wall and CPU seconds (this process's) of a ``with`` block: ``with Timed() as step: ...``, then
    ``step.wall`` and ``step.cpu``."""

    wall: float
    cpu: float

    def __enter__(self) -> Timed:
        self._wall, self._cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *_exc) -> None:
        self.wall, self.cpu = time.perf_counter() - self._wall, time.process_time() - self._cpu


def load_average() -> str:
    """The 1, 5 and 15 minute load averages and the number of CPUs, for a benchmark's output."""
    return f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs"


def insert_rows(target: Target, tables: dict[str, tuple[list[str], list[tuple]]],
                sequences: Iterable[str] = ()) -> dict[str, int]:
    """Inserts each table's ``(columns, rows)`` in one transaction on the driver's own connection
    (SQLite: ``executemany``; PostgreSQL: ``COPY``), then, on PostgreSQL, moves the id sequences of
    ``sequences`` past the ids the rows gave explicitly. Returns the rows per table."""
    raw = target.db.engine.raw_connection()
    try:
        conn = raw.driver_connection
        if target.backend == "sqlite":
            conn.execute("BEGIN IMMEDIATE")
            for table, (cols, rows) in tables.items():
                marks = ", ".join("?" * len(cols))
                conn.executemany(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({marks})", rows)
            conn.execute("COMMIT")
        else:
            with conn.cursor() as cur:
                for table, (cols, rows) in tables.items():
                    with cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
                        for row in rows:
                            copy.write_row(row)
                for table in sequences:
                    cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                f"(SELECT max(id) FROM {table}))")
            conn.commit()
    finally:
        raw.close()
    return {table: len(rows) for table, (_, rows) in tables.items()}
