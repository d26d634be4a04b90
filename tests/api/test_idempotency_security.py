"""Idempotency-Key replays: authorised like the original, scoped to the calling key, no secrets kept, expiring."""
import datetime as dt

from sqlalchemy import select, update

from influencers.workspaces.models import IdempotencyRecord

ADMIN_KEY_BODY = {"name": "ci", "role": "admin"}


def test_a_viewer_replaying_an_admin_key_creation_gets_403_not_the_key(api, client_for):
    first = api.post("/v1/keys", json=ADMIN_KEY_BODY, headers={"Idempotency-Key": "K"})
    assert first.status_code == 201 and first.json["key"].startswith("inf_")
    viewer = client_for("viewer")
    replay = viewer.post("/v1/keys", json=ADMIN_KEY_BODY, headers={"Idempotency-Key": "K"})
    assert replay.status_code == 403
    assert "Idempotent-Replayed" not in replay.headers
    assert first.json["key"] not in replay.get_data(as_text=True)


def test_another_key_of_the_same_workspace_does_not_get_the_replay(api, client_for):
    body = {"platform": "tiktok", "handle": "scoped", "followers": 5}
    first = api.post("/v1/creators", json=body, headers={"Idempotency-Key": "K2"})
    assert first.status_code == 201
    other_admin = client_for("admin")
    again = other_admin.post("/v1/creators", json={**body, "handle": "scoped2"}, headers={"Idempotency-Key": "K2"})
    # Not a replay and not a "key reused with another body" error: the key is another key's.
    assert again.status_code == 201 and "Idempotent-Replayed" not in again.headers
    assert again.json["id"] != first.json["id"]
    other_key_creation = other_admin.post("/v1/keys", json=ADMIN_KEY_BODY, headers={"Idempotency-Key": "K"})
    assert other_key_creation.status_code == 201
    assert "Idempotent-Replayed" not in other_key_creation.headers


def test_replay_records_hold_no_api_key_secret(api, database):
    first = api.post("/v1/keys", json=ADMIN_KEY_BODY, headers={"Idempotency-Key": "K"})
    secret = first.json["key"]
    with database.session() as session:
        bodies = session.scalars(select(IdempotencyRecord.response_body)).all()
    assert bodies and all(secret not in body and secret.split("_", 2)[2] not in body for body in bodies)
    replay = api.post("/v1/keys", json=ADMIN_KEY_BODY, headers={"Idempotency-Key": "K"})
    assert replay.status_code == 201 and replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json["id"] == first.json["id"] and replay.json["key"] is None
    assert secret not in replay.get_data(as_text=True)


def _age_records(database, hours):
    with database.transaction() as session:
        session.execute(update(IdempotencyRecord).values(
            created_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=hours)))


def test_expired_idempotency_records_are_ignored_and_purged(api, database):
    body = {"platform": "tiktok", "handle": "old", "followers": 5}
    first = api.post("/v1/creators", json=body, headers={"Idempotency-Key": "old-key"})
    _age_records(database, 25)
    # Past 24 h the key is free again: the same request is new (here: a duplicate handle, 409).
    again = api.post("/v1/creators", json=body, headers={"Idempotency-Key": "old-key"})
    assert "Idempotent-Replayed" not in again.headers and again.status_code == 409
    other = api.post("/v1/creators", json={**body, "handle": "new"}, headers={"Idempotency-Key": "old-key"})
    assert other.status_code == 201 and other.json["id"] != first.json["id"]
    api.post("/v1/creators", json={**body, "handle": "third"}, headers={"Idempotency-Key": "third"})
    _age_records(database, 25)
    api.post("/v1/creators", json={**body, "handle": "fourth"}, headers={"Idempotency-Key": "fourth"})
    with database.session() as session:
        keys = session.scalars(select(IdempotencyRecord.key)).all()
    assert keys == ["fourth"]  # the expired ones were purged


def test_idempotency_ttl_is_configurable(database, tmp_path):
    from influencers.app import create_app
    from influencers.config import Settings
    from tests.fixtures.api import ApiClient, make_workspace
    from tests.fixtures.database import TEST_SECRET

    app = create_app(Settings(database_url=database.url, pseudonym_secret=TEST_SECRET, idempotency_ttl_hours=1),
                     database=database)
    ws_id, key = make_workspace(database, "ttl")
    client = ApiClient(app.test_client(), key, ws_id)
    body = {"platform": "tiktok", "handle": "ttl", "followers": 5}
    client.post("/v1/creators", json=body, headers={"Idempotency-Key": "t"})
    _age_records(database, 2)
    again = client.post("/v1/creators", json={**body, "handle": "ttl2"}, headers={"Idempotency-Key": "t"})
    assert again.status_code == 201 and "Idempotent-Replayed" not in again.headers


def test_purge_command_deletes_expired_records(api, database, monkeypatch):
    from click.testing import CliRunner

    from influencers import cli

    api.post("/v1/creators", json={"platform": "tiktok", "handle": "p", "followers": 1},
             headers={"Idempotency-Key": "p"})
    _age_records(database, 30)
    monkeypatch.setenv("INFLUENCERS_DATABASE_URL", database.url)
    monkeypatch.setenv("INFLUENCERS_PSEUDONYM_SECRET", "x")
    result = CliRunner().invoke(cli.main, ["idempotency", "purge"])
    assert result.exit_code == 0, result.output
    assert "1" in result.output
    with database.session() as session:
        assert session.scalars(select(IdempotencyRecord)).all() == []
