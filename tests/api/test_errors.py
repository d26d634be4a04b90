"""One error shape, and never a 500 for bad input."""
import pytest


def assert_error_shape(response, status):
    assert response.status_code == status, response.json
    body = response.json
    assert body["code"] == status
    assert isinstance(body["status"], str) and isinstance(body["message"], str)
    return body


def test_unknown_body_field_is_422(api):
    body = assert_error_shape(api.post("/v1/creators", json={"platform": "instagram", "handle": "x", "followers": 1,
                                                             "evil": 1}), 422)
    assert body["errors"]["json"]["evil"] == ["Unknown field."]


@pytest.mark.parametrize("value", [2.5e-42, 2.5, "12", True, -1, 2**70])
def test_integers_are_strict(api, value):
    body = assert_error_shape(api.post("/v1/creators", json={"platform": "instagram", "handle": "x",
                                                             "followers": value}), 422)
    assert "followers" in body["errors"]["json"]


def test_malformed_json_is_400(api):
    assert_error_shape(api.post("/v1/creators", data="{not json", content_type="application/json"), 400)


def test_deeply_nested_json_is_400(api):
    body = assert_error_shape(api.post("/v1/creators", data="[" * 1000, content_type="application/json"), 400)
    assert "nested" in body["message"]


def test_body_over_limit_is_413(api, app):
    limit = app.extensions["influencers.settings"].max_json_bytes
    payload = '{"bio": "' + "x" * limit + '"}'
    assert_error_shape(api.post("/v1/creators", data=payload, content_type="application/json"), 413)


def test_405_keeps_allow_header(api):
    response = api.put("/v1/creators", json={})
    assert_error_shape(response, 405)
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "POST"}


def test_unknown_route_is_404_json(api):
    assert_error_shape(api.get("/v1/nothing-here"), 404)


def test_huge_path_id_is_404_not_overflow(api):
    assert_error_shape(api.get("/v1/creators/99999999999999999999999999"), 404)
    assert_error_shape(api.get("/v1/creators/0"), 404)


def test_huge_page_number_is_422_not_overflow(api):
    body = assert_error_shape(api.get("/v1/creators?page=18734381028321894400"), 422)
    assert "page" in body["errors"]["query"]


def test_rate_limit_is_429_with_retry_after(database):
    from influencers.app import create_app
    from influencers.config import Settings
    from tests.fixtures.api import make_workspace

    app = create_app(Settings(database_url=database.url, pseudonym_secret=b"x", rate_limit="3/minute"),
                     database=database)
    _, key = make_workspace(database, "limited")
    client = app.test_client()
    headers = {"Authorization": f"Bearer {key}"}
    statuses = [client.get("/v1/creators", headers=headers).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = client.get("/v1/creators", headers=headers)
    assert_error_shape(limited, 429)
    assert int(limited.headers["Retry-After"]) > 0
    assert client.get("/health").status_code == 200  # public endpoints are not limited
