"""Authentication answers from a per-process cache, and a key's change still reaches every process.

Two app instances on one database stand for two gunicorn workers: each has its own cache.
"""
from __future__ import annotations

import time

import pytest
from sqlalchemy import event, text

from influencers.app import create_app
from influencers.db import Database
from tests.fixtures.api import ApiClient, make_workspace

PROPAGATION_SECONDS = 1.0


@pytest.fixture
def second_worker(settings, database):
    """Another app on the same database with its own engine and caches (another worker)."""
    other_database = Database(database.url)
    app = create_app(settings, database=other_database)
    app.config["TESTING"] = True
    yield app
    other_database.dispose()


def _statements(database):
    statements = []

    def record(_conn, _cursor, statement, _params, _context, _executemany):
        statements.append(statement)

    event.listen(database.engine, "before_cursor_execute", record)
    return statements, lambda: event.remove(database.engine, "before_cursor_execute", record)


def _wait_for_status(client: ApiClient, url: str, status: int) -> float:
    """Seconds until ``client`` gets ``status`` for ``url`` (fails after 3 s)."""
    started = time.monotonic()
    while time.monotonic() - started < 3:
        if client.get(url).status_code == status:
            return time.monotonic() - started
        time.sleep(0.02)
    pytest.fail(f"{url} never answered {status}")


def test_a_known_key_is_authenticated_without_a_database_round_trip(api, database):
    assert api.get("/v1/keys").status_code == 200  # the key is now known to this process
    statements, stop = _statements(database)
    try:
        creator = api.post("/v1/creators", json={"platform": "instagram", "handle": "a", "followers": 10,
                                                 "categories": ["food"]})
        statements.clear()
        answer = api.get(f"/v1/creators/{creator.json['id']}")
    finally:
        stop()
    assert answer.status_code == 200 and answer.json["categories"] == ["food"]
    # One statement: the creator with its categories (PostgreSQL adds its SET LOCAL for row security;
    # the cache's generation check runs at most every 0.5 s, whatever the traffic).
    assert not [s for s in statements if "api_keys" in s], statements
    reads = [s for s in statements
             if not s.lstrip().upper().startswith(("SET ", "BEGIN")) and "api_key_generation" not in s]
    assert len(reads) == 1, statements


def test_a_revoked_key_is_refused_within_a_second_by_every_worker(api, app, second_worker, database):
    _ws_id, victim_key = make_workspace(database, "brand-a", role="viewer")
    victim_here = ApiClient(app.test_client(), victim_key, api.workspace_id)
    victim_there = ApiClient(second_worker.test_client(), victim_key, api.workspace_id)
    assert victim_here.get("/v1/creators").status_code == 200
    assert victim_there.get("/v1/creators").status_code == 200  # now cached by both workers
    victim_id = next(k["id"] for k in api.get("/v1/keys").json if k["role"] == "viewer")

    assert api.delete(f"/v1/keys/{victim_id}").status_code == 200
    assert victim_here.get("/v1/creators").status_code == 401  # the worker that revoked it: at once
    assert _wait_for_status(victim_there, "/v1/creators", 401) < PROPAGATION_SECONDS
    time.sleep(PROPAGATION_SECONDS)
    assert victim_there.get("/v1/creators").status_code == 401


def test_a_role_changed_in_the_database_takes_effect_within_a_second_on_every_worker(
        api, app, second_worker, database):
    _ws_id, key = make_workspace(database, "brand-a", role="manager")
    here = ApiClient(app.test_client(), key, api.workspace_id)
    there = ApiClient(second_worker.test_client(), key, api.workspace_id)
    body = {"platform": "instagram", "handle": "first", "followers": 1, "categories": []}
    assert here.post("/v1/creators", json=body).status_code == 201
    assert there.post("/v1/creators", json={**body, "handle": "second"}).status_code == 201

    # An operator demotes the key outside the API (any process, any tool).
    with database.transaction() as session:
        session.execute(text("UPDATE api_keys SET role = 'viewer' WHERE role = 'manager'"))

    started = time.monotonic()
    for client in (here, there):
        while client.post("/v1/creators", json={**body, "handle": f"h{time.monotonic_ns()}"}).status_code != 403:
            assert time.monotonic() - started < PROPAGATION_SECONDS, "the old role was still honoured"
            time.sleep(0.02)
    assert there.get("/v1/creators").status_code == 200  # still a valid viewer


def test_a_deleted_workspace_s_keys_stop_working_on_every_worker(api, second_worker, database):
    elsewhere = ApiClient(second_worker.test_client(), api.key, api.workspace_id)
    assert elsewhere.get("/v1/creators").status_code == 200
    with database.transaction() as session:
        session.execute(text("DELETE FROM api_keys WHERE workspace_id = :ws"), {"ws": api.workspace_id})
    assert _wait_for_status(elsewhere, "/v1/creators", 401) < PROPAGATION_SECONDS


def test_a_cached_key_still_sees_only_its_workspace(api, other_api):
    theirs = other_api.post("/v1/creators", json={"platform": "instagram", "handle": "theirs", "followers": 1,
                                                  "categories": []})
    for _ in range(3):  # cached after the first
        assert api.get(f"/v1/creators/{theirs.json['id']}").status_code == 404
        assert api.get(f"/v1/creators/{theirs.json['id']}/score").status_code == 404


def test_a_wrong_secret_with_a_cached_prefix_is_refused(api):
    assert api.get("/v1/creators").status_code == 200
    scheme, prefix, secret = api.key.split("_", 2)
    forged = f"{scheme}_{prefix}_{'A' * len(secret)}"
    assert api.client.get("/v1/creators", headers={"Authorization": f"Bearer {forged}"}).status_code == 401
