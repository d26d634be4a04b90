"""Connections are not pinged before use; one the server dropped costs a retry, never an error."""
from __future__ import annotations

import pytest
from sqlalchemy import text

from influencers.db import Database


def _terminate_pooled_connections(database):
    """Ends, from another connection, the server side of every idle connection in ``database``'s pool."""
    pids = []
    held = [database.engine.connect() for _ in range(database.engine.pool.checkedin())]
    for connection in held:
        pids.append(connection.exec_driver_sql("SELECT pg_backend_pid()").scalar_one())
        connection.rollback()
    for connection in held:
        connection.close()
    admin = Database(database.url)
    try:
        with admin.engine.connect() as connection:
            for pid in pids:
                connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    finally:
        admin.dispose()
    return pids


def test_requests_after_the_server_dropped_the_pooled_connections_succeed(api, database):
    if database.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no server to drop a connection")
    creator = api.post("/v1/creators", json={"platform": "instagram", "handle": "c", "followers": 5}).json
    assert api.get(f"/v1/creators/{creator['id']}").status_code == 200
    assert _terminate_pooled_connections(database)
    assert api.get(f"/v1/creators/{creator['id']}").status_code == 200
    assert _terminate_pooled_connections(database)
    changed = api.patch(f"/v1/creators/{creator['id']}", json={"followers": 6},
                        headers={"If-Match": api.get(f"/v1/creators/{creator['id']}").headers["ETag"]})
    assert changed.status_code == 200 and changed.json["followers"] == 6


def test_authentication_after_the_server_dropped_the_pooled_connections_succeeds(api, database, app):
    if database.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no server to drop a connection")
    assert api.get("/v1/creators").status_code == 200
    app.extensions["influencers.key_cache"].expire()  # the next request confirms the key-change generation
    assert _terminate_pooled_connections(database)
    assert api.get("/v1/creators").status_code == 200
