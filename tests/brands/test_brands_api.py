"""Brands over HTTP: CRUD, matching (job and import), mentions, time series, share of voice, history."""
import csv
import io
import json

from tests.fixtures.brands import create_brand, creator, creator_ids, import_records, post, set_reach, wait_for_jobs

ACME = {"name": "Acme", "handles": {"instagram": ["acme"]}, "hashtags": ["acme"], "keywords": ["acme"],
        "exclude_keywords": ["acme road runner"]}


def test_crud_with_etags_audit_and_isolation(api, other_api):
    brand = create_brand(api, **ACME)
    assert brand["name"] == "Acme" and brand["handles"] == {"instagram": ["acme"]}
    url = f"/v1/brands/{brand['id']}"
    got = api.get(url)
    etag = got.headers["ETag"]
    assert api.patch(url, json={"keywords": ["acme", "acmé corp"]}).status_code == 428
    changed = api.patch(url, json={"keywords": ["acme", "acmé corp"]}, headers={"If-Match": etag})
    assert changed.status_code == 200, changed.json
    assert changed.json["keywords"] == ["acme", "acmé corp"]
    assert api.patch(url, json={"keywords": []}, headers={"If-Match": etag}).status_code == 412
    assert api.post("/v1/brands", json={"name": "ACME"}).status_code == 409
    bad = api.post("/v1/brands", json={"name": "X", "handles": {"myspace": ["x"]}})
    assert bad.status_code == 422 and "handles" in bad.json["errors"]["json"]
    assert other_api.get(url).status_code == 404
    assert other_api.get(f"{url}/mentions").status_code == 404
    assert other_api.post("/v1/brands", json={"name": "Other", "competitor_ids": [brand["id"]]}).status_code == 422
    audit = api.get(f"{url}/audit").json
    assert [e["action"] for e in audit] == ["created", "updated"]
    assert audit[1]["changes"]["keywords"] == {"from": ["acme"], "to": ["acme", "acmé corp"]}
    etag = api.get(url).headers["ETag"]
    assert api.delete(url, headers={"If-Match": etag}).status_code == 204
    assert api.get(url).status_code == 404
    assert [e["action"] for e in api.get(f"{url}/audit").json] == ["created", "updated", "deleted"]


def test_a_new_brand_is_matched_against_existing_posts_by_a_job_and_rerunning_changes_nothing(api):
    import_records(api, creator("alice"), creator("bob", platform="tiktok"),
                   post("p1", "alice", "2026-11-01T10:00:00Z", "Love my new ACME boots"),
                   post("p2", "alice", "2026-11-02T10:00:00Z", "thanks @acme", sponsored=True),
                   post("p3", "bob", "2026-11-03T10:00:00Z", "#Acme haul", platform="tiktok"),
                   post("p4", "bob", "2026-11-04T10:00:00Z", "acme road runner cartoon", platform="tiktok"),
                   post("p5", "bob", "2026-11-05T10:00:00Z", "nothing here", platform="tiktok"))
    brand = create_brand(api, **ACME)
    job = api.get(f"/v1/jobs/{brand['match_job_id']}").json
    assert job["status"] == "succeeded" and job["progress"] == 1.0
    assert job["result"]["inserted"] == 3
    mentions = api.get(f"/v1/brands/{brand['id']}/mentions").json
    assert {(m["post"]["external_id"], m["matched_by"], m["matched_term"], m["sponsored"]) for m in mentions} == {
        ("p1", "keyword", "acme", False), ("p2", "handle", "@acme", True), ("p3", "hashtag", "#acme", False)}
    again = api.post(f"/v1/brands/{brand['id']}/rematch")
    assert again.status_code == 202
    wait_for_jobs()
    result = api.get(f"/v1/jobs/{again.json['id']}").json["result"]
    assert result["inserted"] == result["deleted"] == result["updated"] == 0
    assert result["unchanged"] == 3


def test_import_matches_new_and_changed_posts(api):
    brand = create_brand(api, **ACME)
    import_records(api, creator("alice"), post("p1", "alice", "2026-11-01T10:00:00Z", "acme rocks"))
    url = f"/v1/brands/{brand['id']}/mentions"
    assert [m["post"]["external_id"] for m in api.get(url).json] == ["p1"]
    import_records(api, post("p1", "alice", "2026-11-01T10:00:00Z", "edited: no brand"),
                   post("p2", "alice", "2026-11-02T10:00:00Z", "#acme", likes=50))
    assert [(m["post"]["external_id"], m["likes"]) for m in api.get(url).json] == [("p2", 50)]


def _monitoring_data(api, database):
    """Acme and two competitors; the hand count is in test_share_of_voice_equals_a_hand_count."""
    import_records(
        api, creator("alice"), creator("bob"), creator("carol"),
        post("a1", "alice", "2026-11-02T10:00:00Z", "Acme all day", likes=100, comments=10),
        post("a2", "alice", "2026-11-03T10:00:00Z", "acme and Beta Shoes", likes=50, comments=0, sponsored=True),
        post("b1", "bob", "2026-11-04T10:00:00Z", "@acme thanks", likes=20, comments=5),
        post("b2", "bob", "2026-11-10T10:00:00Z", "beta shoes review", likes=200, comments=20, sponsored=True),
        post("c1", "carol", "2026-11-11T10:00:00Z", "#gammagear", likes=5, comments=5),
        post("c2", "carol", "2026-10-01T10:00:00Z", "acme, before the period", likes=999, comments=999),
        post("c3", "carol", "2026-11-12T10:00:00Z", "nothing", likes=1, comments=1),
    )
    ids = creator_ids(api)
    set_reach(database, api.workspace_id, {ids["alice"]: 1000, ids["bob"]: 300})  # carol is not scored
    beta = create_brand(api, name="Beta", keywords=["beta shoes"])
    gamma = create_brand(api, name="Gamma", hashtags=["gammagear"])
    acme = create_brand(api, **ACME, competitor_ids=[beta["id"], gamma["id"]])
    return acme, beta, gamma, ids


def test_share_of_voice_equals_a_hand_count(api, database):
    acme, beta, gamma, _ids = _monitoring_data(api, database)
    url = f"/v1/brands/{acme['id']}/share-of-voice?since=2026-11-01&until=2026-11-30"
    body = api.get(url).json
    rows = {b["name"]: b for b in body["brands"]}
    # Acme: a1, a2, b1 (3 posts, 2 creators, 110 + 50 + 25 engagements, reach 1000 + 1000 + 300)
    # Beta: a2, b2 (2 posts, 2 creators, 50 + 220, reach 1000 + 300); Gamma: c1 (1 post, 10, carol unscored)
    assert {n: (r["posts"], r["creators"], r["engagements"], r["estimated_reach"]) for n, r in rows.items()} == {
        "Acme": (3, 2, 185, 2300), "Beta": (2, 2, 270, 1300), "Gamma": (1, 1, 10, 0)}
    assert rows["Acme"]["share_of_posts"] == round(3 / 6, 4)
    assert rows["Beta"]["share_of_engagements"] == round(270 / 465, 4)
    assert rows["Acme"]["share_of_estimated_reach"] == round(2300 / 3600, 4)
    assert rows["Gamma"]["unscored_posts"] == 1
    assert body["brand_id"] == acme["id"] and body["since"] == "2026-11-01"
    csv_rows = list(csv.DictReader(io.StringIO(api.get(url.replace("share-of-voice", "share-of-voice/csv")).text)))
    assert [(r["brand"], r["posts"], r["share_of_posts"]) for r in csv_rows] == [
        ("Acme", "3", "0.5"), ("Beta", "2", "0.3333"), ("Gamma", "1", "0.1667")]
    svg = api.get(url.replace("share-of-voice", "share-of-voice/chart") + "&format=svg")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml" and b"<svg" in svg.data
    assert b"Acme" in svg.data and b"Gamma" in svg.data
    png = api.get(url.replace("share-of-voice", "share-of-voice/chart") + "&format=png&metric=engagements")
    assert png.status_code == 200 and png.data[:8] == b"\x89PNG\r\n\x1a\n"
    backwards = api.get(f"/v1/brands/{acme['id']}/share-of-voice?since=2026-11-01&until=2026-10-01")
    assert backwards.status_code == 422 and "until" in backwards.json["errors"]["query"]


def test_mentions_filters_and_time_series(api, database):
    acme, _beta, _gamma, ids = _monitoring_data(api, database)
    base = f"/v1/brands/{acme['id']}/mentions?since=2026-11-01"

    def ext(query=""):
        response = api.get(base + query)
        assert response.status_code == 200, response.json
        return [m["post"]["external_id"] for m in response.json]

    assert ext() == ["b1", "a2", "a1"]
    assert ext("&sponsored=true") == ["a2"]
    assert ext("&sponsored=false") == ["b1", "a1"]
    assert ext(f"&creator_id={ids['alice']}") == ["a2", "a1"]
    assert ext("&platform=tiktok") == []
    assert ext("&until=2026-11-03") == ["a1"]
    page = api.get(base + "&sponsored=false&page_size=1")
    assert len(page.json) == 1 and json.loads(page.headers["X-Pagination"])["total"] == 2
    first = api.get(base).json[0]
    assert first["creator"]["handle"] == "bob" and first["engagements"] == 25 and first["estimated_reach"] == 300
    assert api.get(base + "&sponsored=maybe").status_code == 422
    series = api.get(f"/v1/brands/{acme['id']}/mentions/timeseries?since=2026-10-26&until=2026-11-15"
                     "&interval=week").json
    assert [(p["period_start"], p["posts"], p["engagements"], p["estimated_reach"]) for p in series["points"]] == [
        ("2026-10-26", 0, 0, 0), ("2026-11-02", 3, 185, 2300), ("2026-11-09", 0, 0, 0)]


def test_creator_brand_history_and_posts_mention_filter(api, database):
    acme, beta, _gamma, ids = _monitoring_data(api, database)
    history = api.get(f"/v1/creators/{ids['alice']}/brands").json
    rows = {b["name"]: b for b in history["brands"]}
    assert rows["Acme"]["posts"] == 2 and rows["Acme"]["sponsored_posts"] == 1 and rows["Acme"]["organic_posts"] == 1
    assert rows["Acme"]["first_at"].startswith("2026-11-02") and rows["Acme"]["last_at"].startswith("2026-11-03")
    assert [p["external_id"] for p in rows["Beta"]["recent_posts"]] == ["a2"]
    score = api.get(f"/v1/creators/{ids['alice']}/score").json
    context = {b["name"]: b for b in score["context"]["brand_history"]["brands"]}
    assert context["Acme"]["sponsored_posts"] == 1 and context["Beta"]["posts"] == 1
    assert "not part of the score" in score["context"]["note"]
    posts = api.get(f"/v1/creators/{ids['alice']}/posts?mention=beta")
    assert posts.status_code == 200
    assert [p["external_id"] for p in posts.json] == ["a2"]
    assert [p["external_id"] for p in api.get(f"/v1/creators/{ids['alice']}/posts?mention=ACME").json] == ["a2", "a1"]
    unknown = api.get(f"/v1/creators/{ids['alice']}/posts?mention=nobody")
    assert unknown.status_code == 422 and "mention" in unknown.json["errors"]["query"]
