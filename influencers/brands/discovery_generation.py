"""The per-workspace discovery generation: a counter that triggers bump on every write that can
change what a discovery search finds.

Server processes keep a columnar index of each searched workspace (``influencers.discovery.index``)
and trust it only while the workspace's generation is the one it was built at. Triggers, not
bumps in the write paths, so that no path is missed: the API, imports (``COPY`` and bulk
inserts included), scoring runs (chunked too), re-matching, erasure and anything written by
hand all fire them.

- PostgreSQL: statement-level triggers with transition tables (one write per statement and
  workspace, whatever the number of rows); rows without a ``workspace_id`` find it through
  their creator or brand. They do not update a counter row, which would hold its lock until
  the writer commits and queue every other writer of the workspace behind a long import:
  each inserts (workspace, its transaction id) into ``discovery_changes``, where concurrent
  transactions never meet (``ON CONFLICT DO NOTHING`` for the same transaction's next
  statements). The generation is the counter plus the number of those rows, so any
  committed writing transaction moves it; :func:`compact_changes` folds the rows into the
  counter without changing the sum (an index build, and the job reaper in every server and
  worker process, so they do not pile up in a workspace nobody searches).
- SQLite: row-level triggers (it has no statement-level ones): one upsert of the counter
  per written row (their cost on a full import is in benchmarks/README.md). SQLite has one
  writer at a time, so the counter's lock costs no concurrency there.

The table lives here, with the brand tables, because it is the highest package whose
tables it watches (creators, scores, audience shares, snapshots, categories, brands,
mentions). It has no foreign key: a deleted workspace's counter stays, so a later
workspace given the same id on SQLite never meets an index of the old one.
"""
from __future__ import annotations

from sqlalchemy import BigInteger, event, func, select, text
from sqlalchemy.orm import Mapped, mapped_column

from influencers.db import Base


class DiscoveryGeneration(Base):
    __tablename__ = "discovery_generations"

    workspace_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    generation: Mapped[int] = mapped_column(BigInteger, default=0)


class DiscoveryChange(Base):
    """PostgreSQL: a transaction that wrote something discovery sees in the workspace (see above)."""

    __tablename__ = "discovery_changes"

    workspace_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    txid: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)


def generation_select(workspace_id: int, dialect: str):
    """The SELECT of the workspace's discovery generation (0 before its first write): one row."""
    counter = select(func.coalesce(select(DiscoveryGeneration.generation)
                                   .where(DiscoveryGeneration.workspace_id == workspace_id)
                                   .scalar_subquery(), 0))
    if dialect != "postgresql":
        return counter
    changes = (select(func.count()).select_from(DiscoveryChange)
               .where(DiscoveryChange.workspace_id == workspace_id).scalar_subquery())
    return counter.with_only_columns(counter.selected_columns[0] + changes)


# The advisory lock (any 64-bit key of ours) that makes folds take turns: two folds deleting the
# same rows in different orders could deadlock. Writers never take it.
_FOLD_LOCK = 0x64697363_67656E31


def compact_changes(session, workspace_id: int | None = None) -> int:
    """PostgreSQL: folds the ``discovery_changes`` rows of ``workspace_id`` (None: of every
    workspace) into their counters, each generation's sum unchanged; returns how many rows.

    It deletes only rows of committed transactions (a writer's own row is invisible until it
    commits), so it never waits for a writer, nor a writer for it. An index build folds its
    workspace's rows; the job reaper folds every workspace's (``influencers.assembly``), so a
    workspace written but never searched keeps about one reaper period of them.
    """
    if session.get_bind().dialect.name != "postgresql":
        return 0
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _FOLD_LOCK})
    where = "" if workspace_id is None else "WHERE workspace_id = :w"
    return session.execute(text(
        f"WITH gone AS (DELETE FROM discovery_changes {where} RETURNING workspace_id), "
        "folded AS (INSERT INTO discovery_generations (workspace_id, generation) "
        "SELECT workspace_id, count(*) FROM gone GROUP BY workspace_id ORDER BY workspace_id "
        "ON CONFLICT (workspace_id) DO UPDATE SET generation = discovery_generations.generation + "
        "excluded.generation RETURNING 1) "
        "SELECT count(*) FROM gone"), {"w": workspace_id}).scalar_one()


# table -> how a changed row names its workspace: its own column, or through its creator or brand.
WATCHED_TABLES = {
    "creators": "direct",
    "creator_scores": "direct",
    "brands": "direct",
    "brand_mentions": "direct",
    "creator_categories": "creator",
    "follower_snapshots": "creator",
    "audience_shares": "creator",
    "brand_competitors": "brand",
}
_EVENTS = ("INSERT", "UPDATE", "DELETE")
_UPSERT = ("INSERT INTO discovery_generations (workspace_id, generation) {rows} "
           "ON CONFLICT (workspace_id) DO UPDATE SET generation = discovery_generations.generation + 1")
_PG_INSERT = "INSERT INTO discovery_changes (workspace_id, txid) {rows} ON CONFLICT DO NOTHING"
_PG_ROWS = {
    "direct": "SELECT DISTINCT workspace_id, txid_current() FROM changed_rows",
    "creator": ("SELECT DISTINCT c.workspace_id, txid_current() FROM creators c "
                "WHERE c.id IN (SELECT creator_id FROM changed_rows)"),
    "brand": ("SELECT DISTINCT b.workspace_id, txid_current() FROM brands b "
              "WHERE b.id IN (SELECT brand_id FROM changed_rows)"),
}
_SQLITE_ROWS = {
    "direct": "SELECT {row}.workspace_id, 1 WHERE true",
    "creator": "SELECT workspace_id, 1 FROM creators WHERE id = {row}.creator_id",
    "brand": "SELECT workspace_id, 1 FROM brands WHERE id = {row}.brand_id",
}


def _trigger_name(table: str, event_name: str) -> str:
    return f"discovery_{table}_{event_name.lower()}"


def trigger_statements(dialect: str) -> list[str]:
    out = []
    if dialect == "postgresql":
        for kind, rows in _PG_ROWS.items():
            out.append(f"CREATE FUNCTION discovery_generation_bump_{kind}() RETURNS trigger LANGUAGE plpgsql AS "
                       f"$$ BEGIN {_PG_INSERT.format(rows=rows)}; RETURN NULL; END $$")
        for table, kind in WATCHED_TABLES.items():
            for event_name in _EVENTS:
                transition = "OLD" if event_name == "DELETE" else "NEW"
                out.append(f"CREATE TRIGGER {_trigger_name(table, event_name)} AFTER {event_name} ON {table} "
                           f"REFERENCING {transition} TABLE AS changed_rows FOR EACH STATEMENT "
                           f"EXECUTE FUNCTION discovery_generation_bump_{kind}()")
    elif dialect == "sqlite":
        for table, kind in WATCHED_TABLES.items():
            for event_name in _EVENTS:
                row = "OLD" if event_name == "DELETE" else "NEW"
                out.append(f"CREATE TRIGGER {_trigger_name(table, event_name)} AFTER {event_name} ON {table} "
                           f"BEGIN {_UPSERT.format(rows=_SQLITE_ROWS[kind].format(row=row))}; END")
    return out


def drop_statements(dialect: str) -> list[str]:
    out = []
    for table in WATCHED_TABLES:
        for event_name in _EVENTS:
            name = _trigger_name(table, event_name)
            out.append(f"DROP TRIGGER IF EXISTS {name} ON {table}" if dialect == "postgresql"
                       else f"DROP TRIGGER IF EXISTS {name}")
    if dialect == "postgresql":
        out += [f"DROP FUNCTION IF EXISTS discovery_generation_bump_{kind}()" for kind in _PG_ROWS]
    return out


def install_discovery_triggers(connection) -> None:
    """The triggers (after every watched table exists: the migration and ``create_all``)."""
    for statement in trigger_statements(connection.dialect.name):
        connection.exec_driver_sql(statement)


@event.listens_for(Base.metadata, "after_create")
def _after_create(_metadata, connection, tables=(), **_kw):
    if DiscoveryChange.__table__ in tables:
        install_discovery_triggers(connection)
