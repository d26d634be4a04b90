"""Concurrent writers: conditional updates and idempotent creation under races."""
from sqlalchemy import func, select

from influencers.creators.models import Creator
from tests.fixtures.helpers import run_concurrently


def test_two_updates_with_the_same_etag_one_wins(api):
    created = api.post("/v1/creators", json={"platform": "instagram", "handle": "race", "followers": 1}).json
    url = f"/v1/creators/{created['id']}"
    etag = api.get(url).headers["ETag"]
    statuses = run_concurrently(
        2, lambda i: api.patch(url, json={"followers": 100 + i}, headers={"If-Match": etag}).status_code
    )
    assert sorted(statuses) == [200, 412]
    assert api.get(url).json["version"] == 2


def test_concurrent_idempotent_creates_make_one_row(api, database):
    body = {"platform": "tiktok", "handle": "once", "followers": 5}
    responses = run_concurrently(
        4, lambda i: api.post("/v1/creators", json=body, headers={"Idempotency-Key": "create-once"})
    )
    assert {r.status_code for r in responses} == {201}
    assert len({r.json["id"] for r in responses}) == 1
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(Creator).where(Creator.handle == "once")) == 1


def test_idempotency_key_replays_and_rejects_other_body(api):
    body = {"platform": "tiktok", "handle": "idem", "followers": 5}
    first = api.post("/v1/creators", json=body, headers={"Idempotency-Key": "k-1"})
    again = api.post("/v1/creators", json=body, headers={"Idempotency-Key": "k-1"})
    assert first.status_code == again.status_code == 201
    assert again.json == first.json
    assert again.headers["Idempotent-Replayed"] == "true"
    other = api.post("/v1/creators", json={**body, "handle": "idem2"}, headers={"Idempotency-Key": "k-1"})
    assert other.status_code == 422
    assert "Idempotency-Key" in other.json["errors"]["headers"]


def test_idempotency_keys_are_per_workspace(api, other_api):
    body = {"platform": "tiktok", "handle": "same", "followers": 5}
    a = api.post("/v1/creators", json=body, headers={"Idempotency-Key": "shared"})
    b = other_api.post("/v1/creators", json=body, headers={"Idempotency-Key": "shared"})
    assert a.status_code == b.status_code == 201
    assert "Idempotent-Replayed" not in b.headers
