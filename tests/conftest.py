"""Shared fixtures.

The suite runs on SQLite by default. Set ``INFLUENCERS_TEST_DATABASE_URL`` to a
PostgreSQL URL to run it there (CI does both); each test then gets a fresh schema.
"""
from __future__ import annotations

import os
import time
import uuid
from contextlib import contextmanager

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from influencers.db import Database
from influencers import models  # noqa: F401  (fills Base.metadata)
from influencers.assembly import assemble
from influencers.db import Base
from influencers import row_security
from influencers.jobs import runner

# The application as every entry point assembles it: job kinds, scoring's recalibration.
assemble()

TEST_SECRET = b"test-pseudonym-secret"


def _database_url(tmp_path) -> tuple[str, str | None]:
    base = os.environ.get("INFLUENCERS_TEST_DATABASE_URL")
    if not base:
        return f"sqlite:///{tmp_path}/test.db", None
    schema = "t_" + uuid.uuid4().hex[:12]
    return base, schema


@contextmanager
def _fresh_database(tmp_path, *, create_schema: bool):
    url, schema = _database_url(tmp_path)
    if schema is None:
        db = Database(url)
    else:
        admin = Database(url)
        with admin.engine.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        admin.dispose()
        # The schema goes in the URL itself, so a server started from the URL alone
        # (gunicorn in the process tests) lands in it too.
        db = Database(f"{url}?options=-csearch_path%3D{schema}")
    if create_schema:
        Base.metadata.create_all(db.engine)
        row_security.install(db.engine)  # what the migration does (no-op on SQLite)
    try:
        yield db
    finally:
        # A test may end while a job it started (a scoring run answered 202) still
        # runs on the in-process pool; dropping its tables under it deadlocks.
        runner.cancel_delayed_jobs()  # retries scheduled for later (webhook deliveries)
        runner.wait_for_in_process_jobs(timeout=120)
        db.dispose()
        if schema is not None:
            _drop_schema(url, schema)


def _drop_schema(url: str, schema: str, attempts: int = 5) -> None:
    admin = Database(url)
    try:
        for attempt in range(attempts):
            try:
                with admin.engine.begin() as conn:
                    conn.execute(text("SET lock_timeout = '10s'"))
                    conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
                return
            except OperationalError:
                # Only a straggling connection (a job a test did not wait for) can
                # hold these tables; give it a moment and try again.
                if attempt == attempts - 1:
                    raise
                time.sleep(1 + attempt)
    finally:
        admin.dispose()


@pytest.fixture
def database(tmp_path):
    """An empty database with the models' schema (SQLite file, or a fresh PostgreSQL schema)."""
    with _fresh_database(tmp_path, create_schema=True) as db:
        yield db


@pytest.fixture
def empty_database(tmp_path):
    """A database with no tables at all, for migration tests."""
    with _fresh_database(tmp_path, create_schema=False) as db:
        yield db


@pytest.fixture
def workspace_id(database):
    from influencers.workspaces.models import Workspace

    with database.transaction() as session:
        ws = Workspace(name="acme")
        session.add(ws)
        session.flush()
        return ws.id


# --- the HTTP API --------------------------------------------------------------------------------

class ApiClient:
    """A Flask test client that sends one workspace's key with every request."""

    def __init__(self, client, key: str, workspace_id: int):
        self.client = client
        self.key = key
        self.workspace_id = workspace_id

    def _headers(self, headers):
        return {"Authorization": f"Bearer {self.key}", **(headers or {})}

    def get(self, url, headers=None, **kw):
        return self.client.get(url, headers=self._headers(headers), **kw)

    def post(self, url, headers=None, **kw):
        return self.client.post(url, headers=self._headers(headers), **kw)

    def patch(self, url, headers=None, **kw):
        return self.client.patch(url, headers=self._headers(headers), **kw)

    def put(self, url, headers=None, **kw):
        return self.client.put(url, headers=self._headers(headers), **kw)

    def delete(self, url, headers=None, **kw):
        return self.client.delete(url, headers=self._headers(headers), **kw)


@pytest.fixture
def settings(database):
    from influencers.config import Settings

    return Settings(database_url=database.url, pseudonym_secret=TEST_SECRET)


@pytest.fixture
def app(settings, database):
    from influencers.app import create_app

    app = create_app(settings, database=database)
    app.config["TESTING"] = True
    return app


def make_workspace(database, name: str, role: str = "admin") -> tuple[int, str]:
    from influencers.workspaces import service

    with database.transaction() as session:
        try:
            ws = service.find_workspace(session, name)
        except service.UnknownWorkspace:
            ws, _, _ = service.create_workspace(session, name)
        _key, plaintext = service.create_key(session, ws.id, role=role, name=f"{role} test key")
        return ws.id, plaintext


@pytest.fixture
def api(app, database):
    """An admin client of workspace 'brand-a'."""
    ws_id, key = make_workspace(database, "brand-a")
    return ApiClient(app.test_client(), key, ws_id)


@pytest.fixture
def other_api(app, database):
    """An admin client of another workspace, 'brand-b'."""
    ws_id, key = make_workspace(database, "brand-b")
    return ApiClient(app.test_client(), key, ws_id)


@pytest.fixture
def client_for(app, database):
    """Factory: a client of workspace 'brand-a' with the given role."""

    def make(role: str) -> ApiClient:
        ws_id, key = make_workspace(database, "brand-a", role=role)
        return ApiClient(app.test_client(), key, ws_id)

    return make
