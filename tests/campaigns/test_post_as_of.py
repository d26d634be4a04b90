"""Engagement read from an imported post says when it was imported, not when it was read."""
import datetime as dt
import json
import time


def import_post(api, likes):
    line = {"type": "post", "platform": "instagram", "handle": "alice", "external_id": "ig-77",
            "published_at": "2030-07-02T12:00:00Z", "likes": likes, "comments": 10}
    response = api.post("/v1/imports", data=json.dumps(line).encode(), content_type="application/x-ndjson")
    assert response.status_code == 200 and response.json["rejected_count"] == 0, response.json
    return response.json["stored"]["post"]


def likes_provenance(h, deliverable_id):
    kpis = h.ok(h.api.get(f"/v1/deliverables/{deliverable_id}/kpis"))
    return kpis["metrics"]["likes"], kpis["provenance"]["likes"]


def test_imported_post_results_are_as_of_their_import(h):
    alice = h.creator("alice")
    campaign = h.campaign()
    cc = h.add(campaign["id"], alice["id"], fee_minor=100_000)
    h.contract(cc["id"])
    deliverable = h.deliverable(cc["id"], platform="instagram")
    before = dt.datetime.now(dt.UTC)
    assert import_post(h.api, likes=100)["inserted"] == 1
    h.publish(deliverable["id"], "ig-77")

    likes, provenance = likes_provenance(h, deliverable["id"])
    assert likes == 100 and provenance["source"] == "imported_post"
    imported_at = dt.datetime.fromisoformat(provenance["as_of"])
    assert before <= imported_at <= dt.datetime.now(dt.UTC)
    post = h.ok(h.api.get(f"/v1/creators/{alice['id']}/posts")).pop()
    assert dt.datetime.fromisoformat(post["updated_at"]) == imported_at

    # Reading again later, or re-importing the same numbers, does not move the as-of.
    time.sleep(0.01)
    assert import_post(h.api, likes=100)["unchanged"] == 1
    assert likes_provenance(h, deliverable["id"]) == (100, provenance)

    # New numbers: a new as-of.
    assert import_post(h.api, likes=250)["updated"] == 1
    likes, newer = likes_provenance(h, deliverable["id"])
    assert likes == 250 and dt.datetime.fromisoformat(newer["as_of"]) > imported_at
