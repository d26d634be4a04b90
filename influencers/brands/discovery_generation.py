"""The per-workspace discovery generation: a counter that triggers bump on every write that can
change what a discovery search finds.

Server processes keep a columnar index of each searched workspace (``influencers.discovery.index``)
and trust it only while the workspace's generation is the one it was built at. Triggers, not
bumps in the write paths, so that no path is missed: the API, imports (``COPY`` and bulk
inserts included), scoring runs (chunked too), re-matching, erasure and anything written by
hand all fire them.

- PostgreSQL: statement-level triggers with transition tables (one bump per statement and
  workspace, whatever the number of rows); rows without a ``workspace_id`` find it through
  their creator or brand.
- SQLite: row-level triggers (it has no statement-level ones): one upsert of the counter
  per written row (their cost on a full import is in benchmarks/README.md).

The table lives here, with the brand tables, because it is the highest package whose
tables it watches (creators, scores, audience shares, snapshots, categories, brands,
mentions). It has no foreign key: a deleted workspace's counter stays, so a later
workspace given the same id on SQLite never meets an index of the old one.
"""
from __future__ import annotations

from sqlalchemy import BigInteger, event
from sqlalchemy.orm import Mapped, mapped_column

from influencers.db import Base


class DiscoveryGeneration(Base):
    __tablename__ = "discovery_generations"

    workspace_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    generation: Mapped[int] = mapped_column(BigInteger, default=0)


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
_PG_ROWS = {
    "direct": "SELECT DISTINCT workspace_id, 1 FROM changed_rows ORDER BY 1",
    "creator": ("SELECT DISTINCT c.workspace_id, 1 FROM creators c "
                "WHERE c.id IN (SELECT creator_id FROM changed_rows) ORDER BY 1"),
    "brand": ("SELECT DISTINCT b.workspace_id, 1 FROM brands b "
              "WHERE b.id IN (SELECT brand_id FROM changed_rows) ORDER BY 1"),
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
                       f"$$ BEGIN {_UPSERT.format(rows=rows)}; RETURN NULL; END $$")
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
    if DiscoveryGeneration.__table__ in tables:
        install_discovery_triggers(connection)
