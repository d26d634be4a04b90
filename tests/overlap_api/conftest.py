"""A tiny hand-made import whose overlap numbers are computed by hand in the tests.

Instagram creators (followers): a (1000), b (2000), c (500); tiktok creator t.
Latest samples (2026-10-15; an older sample of a is ignored):
  a: m1 m2 m3 m4 m8      (m8 is a bot: new account, following 5000, no avatar...)
  b: m3 m4 m5 m6
  c: m6 m7
Countries: m1 m2 m4 m5 m7 FR, m3 m6 DE.
"""
import json

import pytest

HUMAN = {"followers": 200, "following": 150, "posts_count": 50, "has_avatar": True, "bio_length": 20,
         "created_at": "2020-01-01", "last_post_at": "2026-10-01", "gender": "female", "age_range": "25-34"}
BOT = {"followers": 1, "following": 5000, "posts_count": 0, "has_avatar": False, "bio_length": 0,
       "created_at": "2026-09-01"}
COUNTRY = {"m1": "FR", "m2": "FR", "m3": "DE", "m4": "FR", "m5": "FR", "m6": "DE", "m7": "FR"}


def member(mid):
    if mid == "m8":
        return {"id": mid, **BOT}
    return {"id": mid, **HUMAN, "country": COUNTRY[mid]}


def tiny_records():
    lines = []
    for handle, followers, platform in (("a", 1000, "instagram"), ("b", 2000, "instagram"),
                                        ("c", 500, "instagram"), ("t", 900, "tiktok")):
        lines.append({"type": "creator", "platform": platform, "handle": handle, "followers": followers,
                      "following": 100, "posts_count": 10})
    samples = {"a": ["m1", "m2", "m3", "m4", "m8"], "b": ["m3", "m4", "m5", "m6"], "c": ["m6", "m7"]}
    for handle, members in samples.items():
        lines.append({"type": "audience", "platform": "instagram", "handle": handle, "sampled_at": "2026-10-15",
                      "members": [member(m) for m in members]})
    # An older sample of a, with members nobody else has: must be ignored.
    lines.append({"type": "audience", "platform": "instagram", "handle": "a", "sampled_at": "2026-01-01",
                  "members": [member("m5"), member("m6"), member("m7")]})
    lines.append({"type": "audience", "platform": "tiktok", "handle": "t", "sampled_at": "2026-10-15",
                  "members": [member("m1")]})
    return lines


def import_records(api, records):
    body = "\n".join(json.dumps(r) for r in records).encode()
    response = api.post("/v1/imports", data=body, content_type="application/x-ndjson")
    assert response.status_code == 200, response.json
    assert response.json["rejected_count"] == 0, response.json["rejected"][:3]


def creator_ids(api):
    return {c["handle"]: c["id"] for c in api.get("/v1/creators?page_size=100").json}


@pytest.fixture
def tiny(api):
    import_records(api, tiny_records())
    return creator_ids(api)
