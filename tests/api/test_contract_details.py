"""Details of the HTTP contract: unknown query parameters, media types, duplicate keys, If-Match: *,
and declarations that match what is sent."""
import json

import pytest


def _get_urls(app):
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or not rule.rule.startswith("/v1"):
            continue
        url = rule.rule
        while "<" in url:
            start = url.index("<")
            url = url[:start] + "1" + url[url.index(">", start) + 1:]
        yield url


def test_every_operation_rejects_unknown_query_parameters(app, api):
    urls = list(_get_urls(app))
    assert len(urls) > 40
    for url in urls:
        response = api.get(url + "?no_such_parameter=1")
        assert response.status_code == 422, (url, response.status_code)
        assert "no_such_parameter" in response.json["errors"]["query"], url
    post = api.post("/v1/creators?no_such_parameter=1", json={"platform": "instagram", "handle": "q", "followers": 1})
    assert post.status_code == 422


def test_pagination_parameters_still_work_where_declared(api):
    assert api.get("/v1/keys?page=1&page_size=5").status_code == 200
    assert api.get("/v1/creators?page=1&page_size=5&platform=instagram").status_code == 200
    assert api.get("/v1/workspace?page=1").status_code == 422  # not a list


CREATOR = {"platform": "instagram", "handle": "ct", "followers": 1}


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded",
                                          "application/xml"])
def test_json_bodies_need_a_json_content_type(api, content_type):
    kwargs = {"data": json.dumps(CREATOR)}
    if content_type:
        kwargs["content_type"] = content_type
    response = api.post("/v1/creators", **kwargs)
    assert response.status_code == 415, (content_type, response.status_code)
    assert response.json["code"] == 415


def test_json_with_a_charset_or_a_json_suffix_is_fine(api):
    ok = api.post("/v1/creators", data=json.dumps(CREATOR), content_type="application/json; charset=utf-8")
    assert ok.status_code == 201
    merge = api.post("/v1/creators", data=json.dumps({**CREATOR, "handle": "ct2"}),
                     content_type="application/vnd.api+json")
    assert merge.status_code == 201


def test_duplicate_json_keys_are_422(api):
    body = '{"platform": "instagram", "handle": "dup", "followers": 1, "followers": 2}'
    response = api.post("/v1/creators", data=body, content_type="application/json")
    assert response.status_code == 422
    assert "followers" in response.json["errors"]["json"]
    nested = '{"name": "s", "creators": [{"creator_id": 1, "creator_id": 2}]}'
    assert api.post("/v1/shortlists", data=nested, content_type="application/json").status_code == 422


def test_if_match_star_does_not_update_unconditionally(api):
    created = api.post("/v1/creators", json=CREATOR).json
    url = f"/v1/creators/{created['id']}"
    response = api.patch(url, json={"followers": 5}, headers={"If-Match": "*"})
    assert response.status_code == 428, response.json
    assert "If-Match" in response.json["message"]
    assert api.get(url).json["followers"] == 1


def test_declarations_match_what_is_sent(app):
    spec = app.extensions["influencers.api"].spec.to_dict()
    headers = [spec["components"]["headers"][h["$ref"].rsplit("/", 1)[1]] if "$ref" in h else h
               for path in spec["paths"].values() for op in path.values() if isinstance(op, dict)
               for r in op.get("responses", {}).values() if isinstance(r, dict)
               for name, h in r.get("headers", {}).items() if name == "X-Pagination"]
    assert headers and all(h["schema"]["type"] == "string" for h in headers)
    params = [p for path in spec["paths"].values() for op in path.values() if isinstance(op, dict)
              for p in op.get("parameters", []) if "name" in p]
    pages = [p for p in params if p["name"] == "page"]
    assert pages and all(p["schema"].get("maximum") == 10**7 for p in pages)
    keys = [p for p in params if p["name"] == "Idempotency-Key"]
    assert keys and all(p["schema"]["minLength"] == 1 for p in keys)


def test_x_pagination_is_a_json_string(api):
    api.post("/v1/creators", json=CREATOR)
    header = api.get("/v1/creators").headers["X-Pagination"]
    assert json.loads(header)["total"] == 1
