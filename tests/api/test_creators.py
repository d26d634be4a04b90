"""Creators over HTTP: CRUD, filters, sorting, pagination, ETags."""
import json


def make_creator(api, **overrides):
    body = {"platform": "instagram", "handle": "alice.cooks", "followers": 125400, "country": "FR",
            "language": "fr", "categories": ["food"], "display_name": "Alice Martin", "bio": "Cuisine de saison"}
    body.update(overrides)
    response = api.post("/v1/creators", json=body)
    assert response.status_code == 201, response.json
    return response.json


def test_create_read_normalises_handle_and_codes(api):
    created = make_creator(api, handle="@Alice.Cooks", country="fr", categories=["Food", "travel"])
    assert created["handle"] == "alice.cooks"
    assert created["country"] == "FR"
    assert created["categories"] == ["food", "travel"]
    response = api.get(f"/v1/creators/{created['id']}")
    assert response.status_code == 200
    assert response.json["followers"] == 125400
    assert response.headers["ETag"]


def test_duplicate_handle_is_409_case_insensitive(api):
    make_creator(api)
    response = api.post("/v1/creators", json={"platform": "instagram", "handle": "ALICE.COOKS", "followers": 1})
    assert response.status_code == 409
    assert "already exists" in response.json["message"]


def test_filters_sort_and_pagination(api):
    make_creator(api, handle="a", followers=1000, country="FR", categories=["food"])
    make_creator(api, handle="b", followers=50000, country="FR", categories=["travel"])
    make_creator(api, handle="c", followers=200000, country="DE", categories=["food"], bio="Kochen und Backen")
    make_creator(api, handle="d", platform="tiktok", followers=7000, country="FR", categories=["food"])

    def handles(query):
        response = api.get(f"/v1/creators?{query}")
        assert response.status_code == 200, response.json
        return [c["handle"] for c in response.json]

    assert handles("country=FR&category=food") == ["d", "a"]
    assert handles("platform=instagram&min_followers=2000&max_followers=100000") == ["b"]
    assert handles("q=backen") == ["c"]
    assert handles("sort=followers") == ["a", "d", "b", "c"]
    assert handles("sort=-followers&page=2&page_size=3") == ["a"]
    page = api.get("/v1/creators?page_size=2")
    assert json.loads(page.headers["X-Pagination"])["total"] == 4


def test_bad_filters_are_422_with_the_field(api):
    for query, field in [("min_followers=abc", "min_followers"), ("sort=password", "sort"),
                         ("platform=myspace", "platform"), ("bogus=1", "bogus"),
                         ("min_followers=10&max_followers=5", "min_followers")]:
        response = api.get(f"/v1/creators?{query}")
        assert response.status_code == 422, query
        assert field in response.json["errors"]["query"], query


def test_update_needs_current_etag(api):
    created = make_creator(api)
    url = f"/v1/creators/{created['id']}"
    etag = api.get(url).headers["ETag"]
    assert api.patch(url, json={"followers": 1}).status_code == 428
    response = api.patch(url, json={"followers": 130000, "categories": ["food", "baking"]}, headers={"If-Match": etag})
    assert response.status_code == 200
    assert response.json["followers"] == 130000
    assert response.json["categories"] == ["baking", "food"]
    assert response.json["version"] == created["version"] + 1
    stale = api.patch(url, json={"followers": 1}, headers={"If-Match": etag})
    assert stale.status_code == 412
    assert api.get(url).json["followers"] == 130000


def test_identity_fields_cannot_be_patched(api):
    created = make_creator(api)
    url = f"/v1/creators/{created['id']}"
    etag = api.get(url).headers["ETag"]
    response = api.patch(url, json={"handle": "mallory"}, headers={"If-Match": etag})
    assert response.status_code == 422
    assert "handle" in response.json["errors"]["json"]


def test_delete_with_etag(api):
    created = make_creator(api)
    url = f"/v1/creators/{created['id']}"
    etag = api.get(url).headers["ETag"]
    assert api.delete(url).status_code == 428
    assert api.delete(url, headers={"If-Match": etag}).status_code == 204
    assert api.get(url).status_code == 404


def test_posts_snapshots_and_audience_of_new_creator_are_empty(api):
    created = make_creator(api)
    base = f"/v1/creators/{created['id']}"
    assert api.get(base + "/posts").json == []
    assert api.get(base + "/snapshots").json == []
    audience = api.get(base + "/audience").json
    assert audience["sample_size"] == 0 and audience["sampled_at"] is None


def test_a_read_answers_the_bytes_and_etag_of_the_stored_creator_without_loading_it(api, other_api):
    """GET /v1/creators/{id} reads plain rows, and answers exactly what serialising the ORM object does."""
    from flask import jsonify
    from sqlalchemy import event

    from influencers.api.base import Blueprint, etag_of
    from influencers.api.creators.schemas import CreatorSchema
    from influencers.creators import service
    from influencers.creators.models import Creator

    app = api.client.application
    many = make_creator(api, handle="many", categories=["travel", "food", "beauty"], joined_at="2019-03-04",
                        email="a@example.com", website="https://example.com/a")
    none = make_creator(api, handle="none", categories=[], display_name=None, bio=None, country=None,
                        language=None)
    loaded = []
    listener = lambda target, _context: loaded.append(target)  # noqa: E731
    event.listen(Creator, "load", listener)
    try:
        answers = {created["id"]: api.get(f"/v1/creators/{created['id']}") for created in (many, none)}
    finally:
        event.remove(Creator, "load", listener)
    assert loaded == []
    database = app.extensions["influencers.db"]
    with database.transaction(write=False) as session, app.test_request_context():
        for creator_id, answer in answers.items():
            creator = service.get_creator(session, api.workspace_id, creator_id)
            assert answer.get_data() == jsonify(CreatorSchema().dump(creator)).get_data()
            # The ETag is the one flask-smorest makes of the creator's (kind, id, version), as before.
            assert answer.headers["ETag"] == f'"{Blueprint._generate_etag(etag_of("creator", creator_id, 1))}"'
    updated = api.patch(f"/v1/creators/{many['id']}", json={"followers": 5},
                        headers={"If-Match": answers[many["id"]].headers["ETag"]})
    assert updated.status_code == 200
    assert answers[many["id"]].json["categories"] == ["beauty", "food", "travel"]
    assert answers[none["id"]].json["categories"] == []
    assert other_api.get(f"/v1/creators/{many['id']}").status_code == 404
