"""A creator's score is read in one statement (creator, current score and explanation), plus its brand history."""
from __future__ import annotations

from sqlalchemy import event


def test_a_score_read_is_one_statement_and_its_brand_history_another(scored_api, database):
    creator_id = scored_api.get("/v1/creators?page_size=1").json[0]["id"]
    assert scored_api.get(f"/v1/creators/{creator_id}/score").status_code == 200  # the key is cached
    statements = []

    def record(_conn, _cursor, statement, _params, _context, _executemany):
        # Leaves out the key cache's periodic generation check (at most every 0.5 s, not per request).
        if not statement.lstrip().upper().startswith(("SET ", "BEGIN")) and "api_key_generation" not in statement:
            statements.append(statement)

    event.listen(database.engine, "before_cursor_execute", record)
    try:
        answer = scored_api.get(f"/v1/creators/{creator_id}/score")
    finally:
        event.remove(database.engine, "before_cursor_execute", record)
    assert answer.status_code == 200 and answer.json["explanation"] and answer.json["summary"]["score"] is not None
    assert len(statements) == 2, statements


def test_unknown_and_unscored_creators_are_told_apart(scored_api, other_api):
    theirs = other_api.post("/v1/creators", json={"platform": "instagram", "handle": "x", "followers": 3}).json
    unknown = scored_api.get(f"/v1/creators/{theirs['id']}/score")
    assert unknown.status_code == 404 and "No creator" in unknown.json["message"]
    mine = scored_api.post("/v1/creators", json={"platform": "instagram", "handle": "fresh", "followers": 3}).json
    unscored = scored_api.get(f"/v1/creators/{mine['id']}/score")
    assert unscored.status_code == 404 and "not been scored" in unscored.json["message"]
