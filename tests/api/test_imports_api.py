"""NDJSON imports over HTTP: the report, idempotent re-imports, rejected lines, limits."""
from pathlib import Path

from tests.fixtures.api import post_ndjson

SAMPLE = (Path(__file__).resolve().parents[2] / "docs" / "import-sample.ndjson").read_bytes()


def test_sample_import_report_and_reimport_changes_nothing(api):
    first = post_ndjson(api, SAMPLE)
    assert first.status_code == 200, first.json
    report = first.json
    assert report["lines_read"] == len(SAMPLE.splitlines())
    assert report["rejected_count"] == 0
    assert report["stored"]["creator"]["inserted"] == 2
    assert report["stored"]["post"]["inserted"] == 2
    second = post_ndjson(api, SAMPLE).json
    for record_type, counts in second["stored"].items():
        assert counts.get("inserted", 0) == 0 and counts.get("updated", 0) == 0, (record_type, counts)
    creators = api.get("/v1/creators").json
    assert sorted(c["handle"] for c in creators) == ["alice.cooks", "bob.eats"]
    alice = next(c for c in creators if c["handle"] == "alice.cooks")
    audience = api.get(f"/v1/creators/{alice['id']}/audience").json
    assert audience["sample_size"] == 2 and audience["sampled_at"] == "2026-10-02"
    assert len(api.get(f"/v1/creators/{alice['id']}/posts").json) == 1
    assert len(api.get(f"/v1/creators/{alice['id']}/snapshots").json) == 2


def test_bad_lines_are_reported_and_good_ones_stored(api):
    body = b"\n".join([
        b'{"type": "creator", "platform": "instagram", "handle": "good", "followers": 10, "following": 1, '
        b'"posts_count": 1}',
        b'{"type": "creator", "platform": "instagram", "handle": "bad", "followers": -5, "following": 1, '
        b'"posts_count": 1}',
        b'{not json',
        b'{"type": "spaceship", "platform": "instagram"}',
        b'{"type": "snapshot", "platform": "instagram", "handle": "ghost", "date": "2026-10-01", "followers": 3}',
    ])
    report = post_ndjson(api, body).json
    assert report["rejected_count"] == 4
    assert [r["line"] for r in report["rejected"]] == [2, 3, 4, 5]
    reasons = {r["line"]: r["reason"] for r in report["rejected"]}
    assert "followers" in reasons[2]
    assert "ghost" in reasons[5] or "unknown creator" in reasons[5].lower() or "not seen" in reasons[5]
    assert [c["handle"] for c in api.get("/v1/creators").json] == ["good"]


def test_wrong_content_type_is_415(api):
    response = post_ndjson(api, SAMPLE, content_type="application/xml")
    assert response.status_code == 415
    assert response.json["code"] == 415


def test_body_over_the_import_limit_is_413_and_stores_nothing(database, settings):
    from dataclasses import replace

    from influencers.app import create_app
    from tests.fixtures.api import ApiClient, make_workspace

    app = create_app(replace(settings, max_import_bytes=1000), database=database)
    ws_id, key = make_workspace(database, "small-limit")
    api = ApiClient(app.test_client(), key, ws_id)
    response = post_ndjson(api, SAMPLE)
    assert response.status_code == 413
    assert response.json["code"] == 413
    assert api.get("/v1/creators").json == []


def test_viewers_cannot_import(client_for):
    assert post_ndjson(client_for("viewer"), SAMPLE).status_code == 403
