"""Saved shortlists: CRUD with ETags, entries, workspace isolation."""


def test_shortlist_crud_with_etags(api, tiny):
    created = api.post("/v1/shortlists", json={"name": "Summer", "notes": "first cut",
                                               "creators": [{"creator_id": tiny["a"], "note": "loves food"}]})
    assert created.status_code == 201, created.json
    body = created.json
    url = created.headers["Location"]
    assert body["name"] == "Summer" and body["creator_count"] == 1 and body["version"] == 1
    assert body["entries"][0] == {**body["entries"][0], "creator_id": tiny["a"], "handle": "a",
                                  "platform": "instagram", "note": "loves food"}
    etag = api.get(url).headers["ETag"]
    assert etag == created.headers["ETag"]

    assert api.patch(url, json={"name": "x"}).status_code == 428
    patched = api.patch(url, json={"name": "Summer 2027"}, headers={"If-Match": etag})
    assert patched.status_code == 200 and patched.json["name"] == "Summer 2027"
    assert patched.json["version"] == 2
    assert api.patch(url, json={"name": "stale"}, headers={"If-Match": etag}).status_code == 412
    assert api.patch(url, json={"bogus": 1}, headers={"If-Match": patched.headers["ETag"]}).status_code == 422

    added = api.post(f"{url}/creators", json={"creator_ids": [tiny["b"], tiny["c"], tiny["a"]]})
    assert added.status_code == 200, added.json
    assert [e["creator_id"] for e in added.json["entries"]] == [tiny["a"], tiny["b"], tiny["c"]]
    assert added.json["entries"][0]["note"] == "loves food"  # an existing entry keeps its note
    assert added.json["version"] == 3 and added.headers["ETag"] != patched.headers["ETag"]

    assert api.delete(f"{url}/creators/{tiny['b']}").status_code == 204
    assert api.delete(f"{url}/creators/{tiny['b']}").status_code == 404
    current = api.get(url)
    assert [e["creator_id"] for e in current.json["entries"]] == [tiny["a"], tiny["c"]]
    assert current.json["version"] == 4

    listed = api.get("/v1/shortlists")
    assert [s["id"] for s in listed.json] == [body["id"]]

    assert api.delete(url).status_code == 428
    assert api.delete(url, headers={"If-Match": etag}).status_code == 412
    assert api.delete(url, headers={"If-Match": current.headers["ETag"]}).status_code == 204
    assert api.get(url).status_code == 404


def test_unknown_and_foreign_creators_are_rejected(api, other_api, tiny):
    assert api.post("/v1/shortlists", json={"name": "x", "creator_ids": [987654]}).status_code == 422
    foreign = other_api.post("/v1/creators", json={"platform": "instagram", "handle": "z", "followers": 1}).json
    response = api.post("/v1/shortlists", json={"name": "x", "creator_ids": [foreign["id"]]})
    assert response.status_code == 422
    assert api.post("/v1/shortlists", json={"name": ""}).status_code == 422
    assert api.post("/v1/shortlists", json={"name": "x", "creator_ids": [1.5]}).status_code == 422
    shortlist = api.post("/v1/shortlists", json={"name": "x"}).json
    assert api.post(f"/v1/shortlists/{shortlist['id']}/creators",
                    json={"creator_ids": [foreign["id"]]}).status_code == 422
    assert api.post(f"/v1/shortlists/{shortlist['id']}/creators", json={}).status_code == 422


def test_shortlists_are_per_workspace(api, other_api, tiny):
    shortlist = api.post("/v1/shortlists", json={"name": "mine", "creator_ids": [tiny["a"]]}).json
    url = f"/v1/shortlists/{shortlist['id']}"
    assert other_api.get(url).status_code == 404
    assert other_api.get(url + "/overlap").status_code == 404
    assert other_api.get("/v1/shortlists").json == []
    assert other_api.post(url + "/creators", json={"creator_ids": [tiny["b"]]}).status_code == 404


def test_viewer_cannot_write(client_for, tiny):
    viewer = client_for("viewer")
    assert viewer.post("/v1/shortlists", json={"name": "x"}).status_code == 403
    assert viewer.get("/v1/shortlists").status_code == 200
