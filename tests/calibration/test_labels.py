"""Labels: analysts' verdicts on creators, imported or created, listed, deleted, audited."""
import json

CREATORS = "\n".join(json.dumps(r) for r in [
    {"type": "creator", "platform": "instagram", "handle": "alice", "followers": 10, "following": 5, "posts_count": 1},
    {"type": "creator", "platform": "instagram", "handle": "bob", "followers": 10, "following": 5, "posts_count": 1},
])


def ndjson(*records):
    return ("\n".join(json.dumps(r) for r in records)).encode()


def post_import(api, body):
    response = api.post("/v1/imports", data=body, content_type="application/x-ndjson")
    assert response.status_code == 200, response.json
    return response.json


def creator_id(api, handle):
    listing = api.get("/v1/creators", query_string={"q": handle}).json
    return next(c["id"] for c in listing if c["handle"] == handle)


def test_label_records_import_with_their_creators_and_reimport_changes_nothing(api):
    body = CREATORS.encode() + b"\n" + ndjson(
        {"type": "label", "platform": "instagram", "handle": "@Alice", "label": "fraud",
         "kinds": ["bought_followers"], "source": "manual_review", "labelled_at": "2026-10-01", "note": "bots"},
        {"type": "label", "platform": "instagram", "handle": "bob", "label": "clean"})
    report = post_import(api, body)
    assert report["rejected_count"] == 0, report["rejected"]
    assert report["stored"]["label"] == {"inserted": 2, "updated": 0, "unchanged": 0}
    again = post_import(api, body)
    assert again["stored"]["label"] == {"inserted": 0, "updated": 0, "unchanged": 2}

    labels = api.get("/v1/labels").json
    by_handle = {lb["creator"]["handle"]: lb for lb in labels}
    assert by_handle["alice"]["label"] == "fraud"
    assert by_handle["alice"]["kinds"] == ["bought_followers"]
    assert by_handle["alice"]["labelled_at"] == "2026-10-01"
    assert by_handle["alice"]["source"] == "manual_review"
    assert by_handle["bob"]["label"] == "clean"


def test_a_new_verdict_replaces_the_current_one_and_history_keeps_both(api):
    post_import(api, CREATORS.encode() + b"\n" + ndjson(
        {"type": "label", "platform": "instagram", "handle": "alice", "label": "clean", "labelled_at": "2026-09-01"}))
    report = post_import(api, ndjson(
        {"type": "label", "platform": "instagram", "handle": "alice", "label": "fraud",
         "kinds": ["comment_pod"], "labelled_at": "2026-10-01"}))
    assert report["stored"]["label"] == {"inserted": 0, "updated": 1, "unchanged": 0}
    alice = creator_id(api, "alice")
    current = api.get("/v1/labels", query_string={"creator_id": alice}).json
    assert [lb["label"] for lb in current] == ["fraud"]
    history = api.get(f"/v1/creators/{alice}/labels").json
    assert [(lb["label"], lb["is_current"]) for lb in history] == [("fraud", True), ("clean", False)]


def test_label_records_are_checked(api):
    post_import(api, CREATORS.encode())
    report = post_import(api, ndjson(
        {"type": "label", "platform": "instagram", "handle": "nobody", "label": "fraud"},
        {"type": "label", "platform": "instagram", "handle": "alice", "label": "maybe"},
        {"type": "label", "platform": "instagram", "handle": "alice", "label": "clean", "colour": "red"},
        {"type": "label", "platform": "instagram", "handle": "alice", "label": "clean", "kinds": ["bought_likes"]},
    ))
    reasons = {r["line"]: r["reason"] for r in report["rejected"]}
    assert "unknown creator instagram/@nobody" in reasons[1]
    assert "$.label" in reasons[2]
    assert "colour" in reasons[3]
    assert "kinds" in reasons[4]
    assert report["stored"]["label"]["inserted"] == 0


def test_labels_api_create_list_filter_history_delete_and_audit(client_for):
    analyst = client_for("analyst")
    post_import(client_for("admin"), CREATORS.encode())
    alice, bob = creator_id(analyst, "alice"), creator_id(analyst, "bob")
    created = analyst.post("/v1/labels", json={"creator_id": alice, "label": "fraud", "kinds": ["bought_likes"],
                                               "source": "campaign_audit", "note": "likes from farms"})
    assert created.status_code == 201, created.json
    assert created.json["labelled_at"]  # defaults to today
    analyst.post("/v1/labels", json={"creator_id": bob, "label": "clean", "labelled_at": "2026-01-02"})

    assert [lb["creator_id"] for lb in analyst.get("/v1/labels", query_string={"label": "fraud"}).json] == [alice]
    assert [lb["creator_id"] for lb in analyst.get("/v1/labels", query_string={"kind": "bought_likes"}).json] == [alice]
    assert [lb["creator_id"] for lb in analyst.get("/v1/labels",
                                                   query_string={"source": "campaign_audit"}).json] == [alice]
    assert len(analyst.get("/v1/labels", query_string={"labelled_before": "2026-06-01"}).json) == 1

    viewer = client_for("viewer")
    assert viewer.get("/v1/labels").status_code == 200
    denied = viewer.post("/v1/labels", json={"creator_id": alice, "label": "clean"})
    assert denied.status_code == 403

    bad = analyst.post("/v1/labels", json={"creator_id": alice, "label": "clean", "kinds": ["bought_likes"]})
    assert bad.status_code == 422 and "kinds" in bad.json["errors"]["json"]

    label_id = created.json["id"]
    assert viewer.delete(f"/v1/labels/{label_id}").status_code == 403
    assert analyst.delete(f"/v1/labels/{label_id}").status_code == 204
    assert analyst.get(f"/v1/creators/{alice}/labels").json == []

    events = analyst.get("/v1/calibration-events", query_string={"object_type": "label"}).json
    assert [(e["action"], e["object_id"]) for e in events][:2] == [("created", label_id), ("created", label_id + 1)]
    assert ("deleted", label_id) in [(e["action"], e["object_id"]) for e in events]
    assert all(e["key_id"] for e in events)


def test_labels_are_workspace_isolated_and_deleted_with_their_creator(api, other_api):
    post_import(api, CREATORS.encode() + b"\n" + ndjson(
        {"type": "label", "platform": "instagram", "handle": "alice", "label": "fraud"}))
    alice = creator_id(api, "alice")
    label_id = api.get("/v1/labels").json[0]["id"]
    assert other_api.get("/v1/labels").json == []
    assert other_api.get(f"/v1/creators/{alice}/labels").status_code == 404
    assert other_api.post("/v1/labels", json={"creator_id": alice, "label": "clean"}).status_code == 404
    assert other_api.delete(f"/v1/labels/{label_id}").status_code == 404

    etag = api.get(f"/v1/creators/{alice}").headers["ETag"]
    assert api.delete(f"/v1/creators/{alice}", headers={"If-Match": etag}).status_code == 204
    assert api.get("/v1/labels").json == []


def test_analysts_import_label_records_only_and_viewers_nothing(client_for):
    post_import(client_for("admin"), CREATORS.encode())
    analyst = client_for("analyst")
    report = post_import(analyst, ndjson(
        {"type": "label", "platform": "instagram", "handle": "alice", "label": "fraud"},
        {"type": "creator", "platform": "instagram", "handle": "carol", "followers": 1, "following": 1,
         "posts_count": 1}))
    assert report["stored"]["label"]["inserted"] == 1
    assert report["stored"]["creator"]["inserted"] == 0
    assert report["rejected"] == [{"line": 2,
                                   "reason": "an analyst's key imports label records only (this is a creator record)"}]
    viewer = client_for("viewer")
    assert viewer.post("/v1/imports", data=ndjson({"type": "label", "platform": "instagram", "handle": "bob",
                                                   "label": "clean"}),
                       content_type="application/x-ndjson").status_code == 403
