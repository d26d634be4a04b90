"""Shared fixtures.

The suite runs on SQLite by default. Set ``INFLUENCERS_TEST_DATABASE_URL`` to a
PostgreSQL URL to run it there (CI does both); each test then gets a fresh schema.
"""
from __future__ import annotations

import os
import uuid

import pytest
from sqlalchemy import text

from influencers.db import Database
from influencers import models  # noqa: F401  (fills Base.metadata)
from influencers.db import Base

TEST_SECRET = b"test-pseudonym-secret"


def _database_url(tmp_path) -> tuple[str, str | None]:
    base = os.environ.get("INFLUENCERS_TEST_DATABASE_URL")
    if not base:
        return f"sqlite:///{tmp_path}/test.db", None
    schema = "t_" + uuid.uuid4().hex[:12]
    return base, schema


@pytest.fixture
def database(tmp_path):
    """A migrated, empty database (SQLite file, or a fresh PostgreSQL schema)."""
    url, schema = _database_url(tmp_path)
    if schema is None:
        db = Database(url)
    else:
        admin = Database(url)
        with admin.engine.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        admin.dispose()
        db = Database(url, connect_args={"options": f"-csearch_path={schema}"})
    Base.metadata.create_all(db.engine)
    yield db
    db.dispose()
    if schema is not None:
        admin = Database(url)
        with admin.engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def workspace_id(database):
    from influencers.workspaces.models import Workspace

    with database.transaction() as session:
        ws = Workspace(name="acme")
        session.add(ws)
        session.flush()
        return ws.id
