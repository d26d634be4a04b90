"""Import bodies: an empty one is an error."""
import json

import pytest


LINE = json.dumps({"type": "creator", "platform": "instagram", "handle": "c", "followers": 1, "following": 1,
                   "posts_count": 1}).encode() + b"\n"


@pytest.mark.parametrize("body", [b"", b"\n", b"  \n\r\n\n"])
def test_an_empty_import_body_is_422(api, body):
    response = api.post("/v1/imports", data=body, content_type="application/x-ndjson")
    assert response.status_code == 422, response.data
    assert response.json["code"] == 422 and "body" in response.json["errors"]
