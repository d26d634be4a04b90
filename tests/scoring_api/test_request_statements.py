"""A score read and a discovery page each cost the database one statement per resource they
answer (issue 22's lean request path), and still answer what they did."""
from __future__ import annotations

import json

from sqlalchemy import event


def _reads(api, path: str):
    """(response, the statements the request sent that read the workspace's data)."""
    database = api.client.application.extensions["influencers.db"]
    statements = []

    def record(_conn, _cursor, statement, _params, _context, _executemany):
        statements.append(statement)

    assert api.get(path).status_code == 200  # the key is known to this process afterwards
    event.listen(database.engine, "before_cursor_execute", record)
    try:
        response = api.get(path)
    finally:
        event.remove(database.engine, "before_cursor_execute", record)
    reads = [s for s in statements
             if not s.lstrip().upper().startswith(("SET ", "BEGIN", "SELECT SET_CONFIG"))
             and "api_key_generation" not in s]
    return response, reads


def _without_generation(reads):
    """(the reads but discovery's generation check, how many generation checks there were)."""
    rest = [s for s in reads if "discovery_generations" not in s]
    return rest, len(reads) - len(rest)


def test_a_score_is_read_in_one_statement_beside_the_brand_history(scored_api):
    creator_id = scored_api.get("/v1/discovery/creators?page_size=1").json[0]["id"]
    response, reads = _reads(scored_api, f"/v1/creators/{creator_id}/score")
    assert response.json["creator_id"] == creator_id and response.json["explanation"]["model_version"]
    # The creator, its current score and its explanation together; then the brand history
    # (no brand mentioned: its one aggregate only).
    assert len(reads) == 2, reads
    assert "brand_mentions" in reads[1]


def test_a_score_read_still_tells_unknown_from_unscored_creators(scored_api):
    unknown = scored_api.get("/v1/creators/987654/score")
    assert unknown.status_code == 404 and unknown.json["message"] == "No creator 987654 in this workspace."
    created = scored_api.post("/v1/creators", json={"platform": "instagram", "handle": "unscored-one",
                                                    "followers": 10}).json
    unscored = scored_api.get(f"/v1/creators/{created['id']}/score")
    assert unscored.status_code == 404 and "not been scored" in unscored.json["message"]


def test_a_discovery_page_is_one_statement_beside_the_growth(scored_api):
    response, reads = _reads(scored_api, "/v1/discovery/creators?min_authenticity=10&sort=-score&page_size=5")
    assert len(response.json) == 5 and json.loads(response.headers["X-Pagination"])["total"] > 5
    assert all(row["categories"] is not None and "growth" in row for row in response.json)
    # One primary-key read of the workspace's discovery generation (is its index current?); the
    # page's rows, their categories and the total in one statement; the growth in another.
    reads, generation_checks = _without_generation(reads)
    assert generation_checks == 1
    assert len(reads) == 2, reads
    assert "follower_snapshots" in reads[1]
