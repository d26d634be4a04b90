"""Ids outside 1..2^31-1 in a path are no route: 404 for every method, never 405."""
import pytest


@pytest.mark.parametrize("creator_id", ["0", "007", "2147483648", "9223372036854775807"])
@pytest.mark.parametrize("method", ["get", "patch", "delete"])
def test_an_id_out_of_range_is_not_found_for_every_method(api, creator_id, method):
    response = getattr(api, method)(f"/v1/creators/{creator_id}", json={}, headers={"If-Match": '"x"'})
    assert response.status_code == 404, response.json


def test_the_largest_id_is_a_route(api):
    assert api.get("/v1/creators/2147483647").status_code == 404
    assert api.patch("/v1/creators/2147483647", json={}, headers={"If-Match": '"x"'}).status_code == 404
