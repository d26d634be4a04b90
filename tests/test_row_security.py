"""Row-level security on PostgreSQL: a query that forgets its workspace filter still sees only
the caller's rows (defence in depth behind every query's own filter). SQLite: nothing changes."""
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from influencers import migrate, row_security
from influencers.campaigns.models import Campaign
from influencers.creators import service as creators_service
from influencers.creators.models import AudienceSample, Creator
from influencers.db import Base
from influencers.workspaces.models import Workspace
from tests.fixtures.records import import_records, tiny_records


def is_postgresql(database):
    return database.engine.dialect.name == "postgresql"


@pytest.fixture
def two_workspaces(api, other_api):
    import_records(api, tiny_records())
    import_records(other_api, tiny_records())
    return api, other_api


def test_a_request_whose_query_forgets_the_workspace_filter_sees_only_the_callers_rows(
        two_workspaces, database, monkeypatch):
    if not is_postgresql(database):
        pytest.skip("row-level security is PostgreSQL's")
    api, other_api = two_workspaces
    mine = {c["id"] for c in api.get("/v1/creators?page_size=100").json}
    # The bug on purpose: the listing's statement without its workspace filter.
    monkeypatch.setattr(creators_service, "list_creators_select",
                        lambda workspace_id, filters: select(Creator).where(Creator.id > 0).order_by(Creator.id))
    listed = api.get("/v1/creators?page_size=100")
    assert listed.status_code == 200
    assert {c["id"] for c in listed.json} == mine
    assert listed.headers["X-Pagination"] and '"total": 4' in listed.headers["X-Pagination"]


def test_a_restricted_session_sees_and_writes_only_its_workspace(two_workspaces, database):
    if not is_postgresql(database):
        pytest.skip("row-level security is PostgreSQL's")
    api, other_api = two_workspaces
    with database.session() as session:
        row_security.restrict(session, api.workspace_id)
        assert set(session.scalars(select(Creator.workspace_id))) == {api.workspace_id}
        assert set(session.scalars(select(Workspace.id))) == {api.workspace_id}
        # Child tables without a workspace_id follow their parent.
        samples = session.scalar(select(func.count()).select_from(AudienceSample))
        assert samples == 5  # a (2), b, c, t of this workspace only
        members = session.execute(text("SELECT count(*) FROM audience_sample_members")).scalar()
        assert members == 5 + 3 + 4 + 2 + 1
        # Writing into another workspace is refused.
        session.add(Campaign(workspace_id=other_api.workspace_id, name="x", brand="x", objective="awareness",
                             budget_minor=1, currency="EUR"))
        with pytest.raises(DBAPIError, match="row-level security"):
            session.flush()
        session.rollback()
        # Updates and deletes of other workspaces' rows touch nothing.
        deleted = session.execute(text("DELETE FROM creators WHERE workspace_id = :ws"),
                                  {"ws": other_api.workspace_id}).rowcount
        assert deleted == 0
        session.rollback()


def test_unrestricted_sessions_span_workspaces(two_workspaces, database):
    """The CLI, jobs and migrations connect as the owner: every workspace."""
    api, other_api = two_workspaces
    with database.session() as session:
        assert set(session.scalars(select(Creator.workspace_id))) == {api.workspace_id, other_api.workspace_id}


def test_a_restricted_transaction_without_a_workspace_fails_closed(database):
    if not is_postgresql(database):
        pytest.skip("row-level security is PostgreSQL's")
    with database.engine.connect() as connection:
        connection.exec_driver_sql(f"SET LOCAL ROLE {row_security.TENANT_ROLE}")
        with pytest.raises(DBAPIError):
            connection.execute(select(Creator.id)).all()


def test_every_table_is_a_tenant_table_or_a_child_of_one(database):
    """A new table must join the policies (a workspace_id column, or row_security.CHILD_TABLES)."""
    for name, table in Base.metadata.tables.items():
        if name == "workspaces":
            continue
        assert ("workspace_id" in table.c or name in row_security.CHILD_TABLES
                or name in row_security.SHARED_TABLES), name
    for name, (column, parent) in row_security.CHILD_TABLES.items():
        assert column in Base.metadata.tables[name].c
        assert parent in Base.metadata.tables


def _policy_tables(connection):
    return {name for (name,) in connection.exec_driver_sql(
        "SELECT c.relname FROM pg_class c JOIN pg_policy p ON p.polrelid = c.oid "
        "WHERE c.relnamespace = current_schema()::regnamespace AND c.relrowsecurity "
        f"AND p.polname = '{row_security.POLICY}'")}


def test_the_migration_puts_every_table_under_a_policy(empty_database):
    db = empty_database
    migrate.upgrade(db.engine)
    if not is_postgresql(db):
        pytest.skip("row-level security is PostgreSQL's")
    with db.engine.connect() as connection:
        assert _policy_tables(connection) == set(Base.metadata.tables)


def test_the_test_databases_match_the_migration(database):
    if not is_postgresql(database):
        pytest.skip("row-level security is PostgreSQL's")
    with database.engine.connect() as connection:
        assert _policy_tables(connection) == set(Base.metadata.tables)
