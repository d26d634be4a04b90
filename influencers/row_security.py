"""Row-level security on PostgreSQL: defence in depth for workspace isolation.

Every query of the application filters on the caller's workspace. As a second line,
each API request's transaction runs as the role ``influencers_app`` with
``app.workspace_id`` set to the caller's workspace (``SET LOCAL``), and policies on
the tenant tables show that role only the rows of that workspace: a query that
forgets its workspace filter still sees only the caller's rows, and a row written
into another workspace is refused.

- Tables with a ``workspace_id`` column (and ``workspaces`` itself, by ``id``) are
  keyed on it directly; their child tables (samples, member lists, briefs...) through
  their parent's row, which the parent's own policy already restricts.
- The policies apply to ``influencers_app`` only. Whoever connects (the table owner,
  or a superuser such as ``postgres`` in tests) is not restricted outside request
  transactions: migrations, the CLI, scoring jobs, imports and the retention task
  span workspaces or bulk-load with ``COPY`` (which PostgreSQL refuses on tables with
  row security for restricted roles), and scope their statements themselves.
- ``influencers_app`` cannot log in; the connecting role must be a member of it
  (the migration grants that to the role running it; see the README for a separate
  login role). Without ``app.workspace_id`` a restricted query fails instead of
  seeing everything.

SQLite has no row security: everything here is a no-op there.
"""
from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

TENANT_ROLE = "influencers_app"
WORKSPACE_SETTING = "app.workspace_id"
POLICY = "workspace_isolation"

# Tables without a workspace_id: restricted through the parent they belong to
# (table -> (column, parent table)); the parent's policy applies inside the check.
CHILD_TABLES = {
    "creator_categories": ("creator_id", "creators"),
    "follower_snapshots": ("creator_id", "creators"),
    "snapshot_runs": ("creator_id", "creators"),
    "audience_samples": ("creator_id", "creators"),
    "audience_sample_members": ("sample_id", "audience_samples"),
    "audience_shares": ("creator_id", "creators"),
    "audience_share_digests": ("creator_id", "creators"),
    "audience_sketches": ("creator_id", "creators"),
    "creator_score_explanations": ("score_id", "creator_scores"),
    "campaign_briefs": ("campaign_id", "campaigns"),
    "deliverable_submissions": ("deliverable_id", "deliverables"),
    "deliverable_results": ("deliverable_id", "deliverables"),
    "shortlist_entries": ("shortlist_id", "shortlists"),
    "webhook_delivery_attempts": ("delivery_id", "webhook_deliveries"),
    "brand_competitors": ("brand_id", "brands"),
    "scoring_staged_blobs": ("run_id", "scoring_runs"),
}
# Tables that hold no workspace's data, readable and writable by every request (their policy is
# ``true``): the key-change counter that request transactions bump through a trigger when they
# revoke a key.
SHARED_TABLES = {"api_key_generation"}
WORKSPACE_KEY = f"current_setting('{WORKSPACE_SETTING}')::bigint"


def _tenant_tables(connection: Connection) -> list[str]:
    """The tables of the current schema that have a workspace_id column."""
    rows = connection.exec_driver_sql(
        "SELECT table_name FROM information_schema.columns WHERE table_schema = current_schema() "
        "AND column_name = 'workspace_id' ORDER BY table_name")
    return [name for (name,) in rows]


def _existing_tables(connection: Connection) -> set[str]:
    rows = connection.exec_driver_sql(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()")
    return {name for (name,) in rows}


def policies(connection: Connection) -> dict[str, str]:
    """table -> the USING expression of its policy, for the tables of the current schema."""
    quote = connection.dialect.identifier_preparer.quote
    result = {"workspaces": f"id = {WORKSPACE_KEY}"}
    for table in _tenant_tables(connection):
        result[table] = f"workspace_id = {WORKSPACE_KEY}"
    existing = _existing_tables(connection)
    for table, (column, parent) in CHILD_TABLES.items():
        if table in existing:
            result[table] = (f"EXISTS (SELECT 1 FROM {quote(parent)} AS parent "
                             f"WHERE parent.id = {quote(table)}.{quote(column)})")
    for table in SHARED_TABLES:
        result[table] = "true"
    return {table: using for table, using in result.items() if table in existing}


def install(bind: Connection | Engine) -> None:
    """Creates the role (if missing), grants it the tables of the current schema, and enables
    row security with one policy per tenant table. Idempotent; shared by the migration and
    the tests' ``create_all`` databases. No-op on SQLite."""
    if bind.dialect.name != "postgresql":
        return
    if isinstance(bind, Engine):
        with bind.begin() as connection:
            install(connection)
        return
    connection = bind
    role = connection.dialect.identifier_preparer.quote(TENANT_ROLE)
    connection.exec_driver_sql(f"""
        DO $$
        BEGIN
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{TENANT_ROLE}') THEN
                CREATE ROLE {role} NOLOGIN;
            END IF;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL;  -- created concurrently (roles are cluster-wide)
        END $$""")
    connection.exec_driver_sql(f"""
        DO $$
        BEGIN
            IF NOT pg_has_role(current_user, '{TENANT_ROLE}', 'MEMBER') THEN
                EXECUTE format('GRANT {role} TO %%I', current_user);
            END IF;
            EXECUTE format('GRANT USAGE ON SCHEMA %%I TO {role}', current_schema());
            EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %%I TO {role}',
                           current_schema());
            EXECUTE format('GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA %%I TO {role}', current_schema());
            -- Tables later migrations create get the same grants (their policies come with them).
            EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %%I GRANT SELECT, INSERT, UPDATE, DELETE '
                           'ON TABLES TO {role}', current_schema());
            EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %%I GRANT USAGE, SELECT, UPDATE '
                           'ON SEQUENCES TO {role}', current_schema());
        END $$""")
    quote = connection.dialect.identifier_preparer.quote
    for table, using in policies(connection).items():
        connection.exec_driver_sql(f"ALTER TABLE {quote(table)} ENABLE ROW LEVEL SECURITY")
        connection.exec_driver_sql(f"DROP POLICY IF EXISTS {POLICY} ON {quote(table)}")
        connection.exec_driver_sql(
            f"CREATE POLICY {POLICY} ON {quote(table)} TO {role} USING ({using}) WITH CHECK ({using})")


def uninstall(connection: Connection) -> None:
    """Drops the policies and disables row security (the role stays: it is cluster-wide)."""
    if connection.dialect.name != "postgresql":
        return
    quote = connection.dialect.identifier_preparer.quote
    for table in policies(connection):
        connection.exec_driver_sql(f"DROP POLICY IF EXISTS {POLICY} ON {quote(table)}")
        connection.exec_driver_sql(f"ALTER TABLE {quote(table)} DISABLE ROW LEVEL SECURITY")


def restrict(session: Session, workspace_id: int) -> None:
    """Makes every transaction of ``session`` (from its next one on) run restricted to
    ``workspace_id`` on PostgreSQL (see :func:`_on_begin`)."""
    session.info["workspace_id"] = int(workspace_id)


def is_restricted(session: Session) -> bool:
    """Whether ``session``'s transactions run restricted (PostgreSQL only: see :func:`restrict`)."""
    return session.info.get("workspace_id") is not None and session.get_bind().dialect.name == "postgresql"


@event.listens_for(Session, "after_begin")
def _on_begin(session: Session, _transaction, connection: Connection) -> None:
    workspace_id = session.info.get("workspace_id")
    if workspace_id is None or connection.dialect.name != "postgresql":
        return
    # Both LOCAL: they end with the transaction, so a pooled connection never keeps them.
    # One round trip; the workspace id is an int, never request text.
    connection.exec_driver_sql(
        f"SET LOCAL ROLE {TENANT_ROLE}; SET LOCAL {WORKSPACE_SETTING} = '{int(workspace_id)}'")
