"""Workspaces are isolated: every operation on a path id answers 404 with another workspace's key."""
import pytest

from influencers.api.converters import IdConverter


def _id_routes(app):
    for rule in app.url_map.iter_rules():
        if any(isinstance(c, IdConverter) for c in rule._converters.values()):
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                yield rule, method


def _resources(api):
    """One resource of each kind in workspace A, keyed by path parameter name."""
    creator = api.post("/v1/creators", json={"platform": "instagram", "handle": "iso", "followers": 10}).json
    key = api.post("/v1/keys", json={"name": "iso", "role": "viewer"}).json
    return {"creator_id": creator["id"], "key_id": key["id"]}


# A valid request body per endpoint, so that the 404 cannot hide behind a 422.
VALID_BODIES = {
    "creators.update_creator": {"followers": 11},
}


def test_every_id_route_answers_404_to_another_workspace(app, api, other_api):
    ids = _resources(api)
    checked = 0
    for rule, method in _id_routes(app):
        missing = [name for name in rule.arguments if name not in ids]
        assert not missing, f"add a resource factory for {missing} ({rule.rule}) to this test"
        url = rule.rule
        for name in rule.arguments:
            url = url.replace(f"<id:{name}>", str(ids[name]))
        kwargs = {"json": VALID_BODIES.get(rule.endpoint, {})} if method in ("POST", "PUT", "PATCH") else {}
        response = getattr(other_api, method.lower())(url, headers={"If-Match": "*"}, **kwargs)
        assert response.status_code == 404, f"{method} {rule.rule}: {response.status_code} {response.json}"
        # ...and the owner still sees it (the 404 is isolation, not a broken route).
        if method == "GET":
            assert api.get(url).status_code == 200, f"GET {rule.rule}"
        checked += 1
    assert checked >= 7
