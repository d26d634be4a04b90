"""Response bodies are written by msgspec (influencers.api.json_provider) and must be the JSON
Flask's own encoder writes: the same document, keys sorted, compact, one trailing newline."""
from __future__ import annotations

from flask.json.provider import DefaultJSONProvider


def _flask_body(app, document) -> str:
    """What Flask's provider answers for ``document``, non-ASCII kept as UTF-8 (msgspec's form)."""
    return DefaultJSONProvider(app).dumps(document, separators=(",", ":"), ensure_ascii=False) + "\n"


def test_scores_creators_and_lists_are_flasks_json_byte_for_byte(scored_api):
    creator_id = scored_api.get("/v1/creators?page_size=1").json[0]["id"]
    app = scored_api.client.application
    for url in (f"/v1/creators/{creator_id}", f"/v1/creators/{creator_id}/score", "/v1/creators?page_size=5",
                "/v1/creators/999999999"):
        response = scored_api.get(url)
        assert response.mimetype == "application/json"
        assert response.get_data(as_text=True) == _flask_body(app, response.json), url


def test_an_error_naming_list_items_by_index_is_answered(scored_api):
    # marshmallow keys the errors of list items by their integer index
    response = scored_api.get("/v1/discovery/creators?platform=instagram&audience=age:18-24:0.4")
    assert response.status_code == 422
    assert response.get_data(as_text=True) == _flask_body(scored_api.client.application, response.json)
