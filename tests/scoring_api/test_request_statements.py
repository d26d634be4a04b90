"""A score read and a discovery page each cost the database one statement per resource they
answer (issue 22's lean request path), and still answer what they did."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import event

from influencers.discovery import index as discovery_index


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


def test_a_score_read_answers_the_stored_score_without_loading_it(scored_api):
    """The score is read as columns, not as a CreatorScore object, and the answer's bytes are those of
    serialising the stored score object (summary, explanation, context) as before."""
    from flask import jsonify
    from sqlalchemy import event

    from influencers.api.scoring.routes import summary
    from influencers.api.scoring.schemas import CreatorScoreSchema
    from influencers.brands.reports import creator_brand_history
    from influencers.scoring.records import current_score
    from influencers.scoring.store import CreatorScore, CreatorScoreExplanation

    app = scored_api.client.application
    creator_ids = [row["id"] for row in scored_api.get("/v1/discovery/creators?page_size=3").json]
    loaded = []
    listener = lambda target, _context: loaded.append(target)  # noqa: E731
    event.listen(CreatorScore, "load", listener)
    try:
        answers = {creator_id: scored_api.get(f"/v1/creators/{creator_id}/score") for creator_id in creator_ids}
    finally:
        event.remove(CreatorScore, "load", listener)
    assert loaded == []
    workspace_id = scored_api.workspace_id
    with app.extensions["influencers.db"].transaction(write=False) as session, app.test_request_context():
        for creator_id, answer in answers.items():
            score = current_score(session, workspace_id, creator_id)
            explanation = session.get(CreatorScoreExplanation, score.id).explanation
            expected = CreatorScoreSchema().dump({
                "creator_id": creator_id, "summary": summary(score), "explanation": explanation,
                "context": {"note": "Context for the reader, not part of the score",
                            "brand_history": creator_brand_history(session, workspace_id, creator_id)}})
            assert answer.status_code == 200 and answer.get_data() == jsonify(expected).get_data()



def test_creator_and_score_reads_run_no_orm_statement(scored_api):
    """The creator read, the score read and its brand history are plain Core statements: the ORM's
    execution path (entity loading, its compile state) cost a fifth of a score read."""
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    creator_id = scored_api.get("/v1/discovery/creators?page_size=1").json[0]["id"]
    executed = []
    listener = lambda state: executed.append((state.is_orm_statement, str(state.statement)))  # noqa: E731
    event.listen(Session, "do_orm_execute", listener)
    try:
        for path in (f"/v1/creators/{creator_id}", f"/v1/creators/{creator_id}/score"):
            executed.clear()
            assert scored_api.get(path).status_code == 200
            assert executed and [statement for orm, statement in executed if orm] == [], path
    finally:
        event.remove(Session, "do_orm_execute", listener)


@pytest.mark.parametrize("path", ["sql", "index"])
def test_a_discovery_page_costs_the_same_statements_whatever_its_size(scored_api, monkeypatch, path):
    # The demo is small: its searches take the SQL path unless the index is forced.
    monkeypatch.setattr(discovery_index, "_min_creators", lambda database: 0 if path == "index" else None)
    monkeypatch.setattr(discovery_index, "BUILD_IN_BACKGROUND", False)
    counts = {}
    for size in (2, 20):
        response, reads = _reads(scored_api, f"/v1/discovery/creators?min_authenticity=10&sort=-score&page_size={size}")
        assert len(response.json) == size and json.loads(response.headers["X-Pagination"])["total"] > 20
        assert all(row["categories"] is not None and "growth" in row for row in response.json)
        # One primary-key read of the workspace's discovery generation (is its index current?).
        reads, generation_checks = _without_generation(reads)
        assert generation_checks == 1
        counts[size] = reads
    if path == "index":
        # The page's ids, total and growth come from the index; its rows and their categories are read.
        assert [len(counts[2]), len(counts[20])] == [2, 2], counts
        assert "creator_categories" in counts[20][1]
    else:
        # The page's ids with the total; its rows; their categories; their growth.
        assert [len(counts[2]), len(counts[20])] == [4, 4], counts
        assert "follower_snapshots" in counts[20][3]


def test_discovery_items_are_the_creator_with_its_score_summary_and_growth(scored_api):
    items = scored_api.get("/v1/discovery/creators?sort=-score&page_size=5&category=food").json
    assert len(items) == 5
    for item in items:
        creator = scored_api.get(f"/v1/creators/{item['id']}").json
        score = scored_api.get(f"/v1/creators/{item['id']}/score").json
        assert {key: value for key, value in item.items() if key not in ("score", "growth")} == creator
        assert "food" in creator["categories"]
        assert item["score"] == score["summary"]
        assert set(item["growth"]) == {"as_of", "basis", "growth_30d", "snapshots_30d", "growth_90d",
                                       "snapshots_90d"}
