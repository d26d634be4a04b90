"""What the benchmark scripts share: a scratch database with one workspace, and peak memory.

The scripts put the repository root on ``sys.path`` before importing this module.
"""
from __future__ import annotations

import resource
import shutil
import sys
import uuid
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import text

from influencers import models  # noqa: F401  (fills Base.metadata)
from influencers.db import Base, Database
from influencers.workspaces.service import create_workspace


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
        """Reads a SQLite database's files once, so that every timed step starts with them in
        the OS page cache (on a VM that reclaims cold page cache, a step could otherwise pay
        for disk reads another step did not: figures of CPU-bound work, not of the disk)."""
        if self.backend != "sqlite":
            return
        database = Path(self.db.engine.url.database)
        for path in (database, database.with_name(database.name + "-wal")):
            if path.exists():
                with open(path, "rb") as fh:
                    while fh.read(16 << 20):
                        pass

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
