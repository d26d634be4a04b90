"""Scoring over HTTP: runs answer 202 and finish, scores explain themselves, discovery filters, lookalikes."""
import json

import pytest

from tests.fixtures.api import all_pages
from tests.fixtures.scoring import run_scoring, wait_for


def test_scoring_run_scores_every_creator_and_explains(scored_api):
    api = scored_api
    creators = all_pages(api, "/v1/creators")
    runs = api.get("/v1/scoring-runs").json
    assert runs[0]["creators_scored"] == len(creators) == 60
    assert runs[0]["model_version"] == "default-4"
    score = api.get(f"/v1/creators/{creators[0]['id']}/score")
    assert score.status_code == 200
    explanation = score.json["explanation"]
    assert explanation["model_version"] == "default-4"
    assert explanation["sample_size"] == score.json["summary"]["sample_size"] > 0
    assert explanation["as_of"]
    total = sum(c["contribution"] for c in explanation["components"])
    assert total == pytest.approx(explanation["score"]["value"], abs=0.05)
    for component in explanation["components"]:
        assert {"name", "value", "weight", "contribution"} <= set(component)
    # The graph slot is reported as left out until centrality is computed, not silently zero.
    assert "centrality" in {c["name"] for c in explanation["components"]} | {
        c["name"] for c in explanation["left_out_components"]}
    assert explanation["audience"]["fake_follower_share"]["kind"] == "estimated"


def test_flagged_creators_carry_evidence(scored_api):
    flagged = all_pages(scored_api, "/v1/discovery/creators?flag=bought_followers")
    assert flagged, "the demo data plants bought followers"
    detail = scored_api.get(f"/v1/creators/{flagged[0]['id']}/score").json
    flag = next(f for f in detail["explanation"]["flags"] if f["name"] == "bought_followers")
    assert flag["evidence"]


def test_discovery_filters_hold_for_every_row(scored_api):
    api = scored_api
    rows = all_pages(api, "/v1/discovery/creators?min_authenticity=60&without_flag=bought_likes&sort=-score")
    assert rows
    assert all(r["score"]["authenticity"] >= 60 and "bought_likes" not in r["score"]["flags"] for r in rows)
    scores = [r["score"]["score"] for r in rows]
    assert scores == sorted(scores, reverse=True)
    fraud = all_pages(api, "/v1/discovery/creators?flag=bought_likes")
    assert all("bought_likes" in r["score"]["flags"] for r in fraud)
    everyone = all_pages(api, "/v1/discovery/creators")
    assert len(everyone) == 60


def test_audience_composition_filter_matches_the_audience_summary(scored_api):
    api = scored_api
    creators = all_pages(api, "/v1/creators")
    country = creators[0]["country"]
    rows = all_pages(api, f"/v1/discovery/creators?audience=country:{country}:0.3")
    assert rows
    for row in rows:
        audience = api.get(f"/v1/creators/{row['id']}/audience").json
        shares = {s["value"]: s["share"] for s in audience["distributions"]["country"]["shares"]}
        assert shares.get(country, 0) >= 0.3 - 1e-4
    excluded = {c["id"] for c in creators} - {r["id"] for r in rows}
    for creator_id in list(excluded)[:5]:
        audience = api.get(f"/v1/creators/{creator_id}/audience").json
        shares = {s["value"]: s["share"] for s in audience["distributions"]["country"]["shares"]}
        assert shares.get(country, 0) < 0.3 + 1e-4


@pytest.mark.parametrize("threshold", [0.2, 0.05, 0.02])
def test_every_audience_dimension_filters_on_the_audience_summary(scored_api, threshold):
    """Each dimension, with the most common value among the creators' audiences (lower or
    upper case where the code's case is fixed): found exactly when that share >= the
    threshold, above, at and below the smallest share discovery's lookup index holds."""
    api = scored_api
    creators = all_pages(api, "/v1/creators")
    audiences = {c["id"]: api.get(f"/v1/creators/{c['id']}/audience").json["distributions"] for c in creators}
    for dimension in ("country", "language", "gender", "age_range"):
        shares = {cid: {s["value"]: s["share"] for s in dist[dimension]["shares"]} for cid, dist in audiences.items()}
        totals: dict[str, float] = {}
        for by_value in shares.values():
            for value, share in by_value.items():
                totals[value] = totals.get(value, 0) + share
        value = max(totals, key=totals.get)
        asked = value.swapcase() if dimension in ("country", "language") else value
        found = {row["id"] for row in
                 all_pages(api, f"/v1/discovery/creators?audience={dimension}:{asked}:{threshold}")}
        # The summary rounds shares to 4 decimals: none of the 60 lies that close to a threshold.
        expected = {cid for cid, by_value in shares.items() if by_value.get(value, 0) >= threshold}
        assert found == expected and found, (dimension, value)


@pytest.mark.parametrize("query,field", [
    ("audience=age:18-24:0.4", "audience"), ("audience=country:FR:1.5", "audience"),
    ("audience=country:FRA:0.3", "audience"), ("audience=language:english:0.3", "audience"),
    ("audience=gender:Female:0.3", "audience"), ("audience=country:FR:1e-1", "audience"),
    ("audience=country:FR:nan", "audience"),
    ("flag=bought_shoes", "flag"), ("min_authenticity=101", "min_authenticity"), ("sort=-password", "sort"),
])
def test_discovery_rejects_bad_filters(api, query, field):
    response = api.get(f"/v1/discovery/creators?{query}")
    assert response.status_code == 422
    assert field in response.json["errors"]["query"]


def test_the_document_gives_the_audience_condition_pattern_the_api_enforces(app):
    import re

    spec = app.extensions["influencers.api"].spec.to_dict()
    parameter = next(p for p in spec["paths"]["/v1/discovery/creators"]["get"]["parameters"] if p["name"] == "audience")
    pattern = parameter["schema"]["items"]["pattern"]
    for accepted in ("country:FR:0.3", "country:fr:1", "age_range:65+:0.25", "gender:other:.5", "language:en:0"):
        assert re.search(pattern, accepted), accepted
    for refused in ("country:FR:1e-1", "country:FR:1.5", "country:FRA:0.3", "gender:Female:0.3"):
        assert not re.search(pattern, refused), refused


def test_lookalikes_are_similar_creators_of_the_platform(scored_api):
    api = scored_api
    creator = all_pages(api, "/v1/discovery/creators?platform=instagram")[0]
    response = api.get(f"/v1/creators/{creator['id']}/lookalikes?limit=5")
    assert response.status_code == 200
    lookalikes = response.json["lookalikes"]
    assert 0 < len(lookalikes) <= 5
    assert creator["id"] not in [like["creator"]["id"] for like in lookalikes]
    assert all(like["creator"]["platform"] == "instagram" for like in lookalikes)
    similarities = [like["similarity"] for like in lookalikes]
    assert similarities == sorted(similarities, reverse=True)


def test_score_history_keeps_runs_and_marks_the_latest_current(scored_api):
    api = scored_api
    run_scoring(api)
    creator_id = api.get("/v1/creators").json[0]["id"]
    history = api.get(f"/v1/creators/{creator_id}/scores").json
    assert len(history) == 2
    assert [h["is_current"] for h in history] == [True, False]
    assert "fake_follower_share_interval" in history[0]
    assert history[0]["run_id"] > history[1]["run_id"]


def test_unscored_creator_score_is_404_with_reason(api):
    created = api.post("/v1/creators", json={"platform": "instagram", "handle": "fresh", "followers": 10}).json
    response = api.get(f"/v1/creators/{created['id']}/score")
    assert response.status_code == 404
    assert "not been scored" in response.json["message"]


def test_roles_for_scoring(client_for):
    assert client_for("viewer").post("/v1/scoring-runs").status_code == 403
    assert client_for("analyst").post("/v1/scoring-runs").status_code == 202


def test_starting_a_run_with_an_idempotency_key_queues_one_run(api):
    # The request's own transaction holds SQLite's write lock: the run and its job
    # must be written in it (a second connection would wait for the lock, then 503).
    first = api.post("/v1/scoring-runs", headers={"Idempotency-Key": "score-once"})
    again = api.post("/v1/scoring-runs", headers={"Idempotency-Key": "score-once"})
    assert first.status_code == again.status_code == 202
    assert again.json["id"] == first.json["id"]
    assert wait_for(api, first.headers["Location"])["status"] == "succeeded"
    assert len(api.get("/v1/scoring-runs").json) == 1


def test_discovery_pages_add_up_to_the_whole_sorted_result(scored_api):
    api = scored_api
    query = "/v1/discovery/creators?sort=-engagement_rate&without_flag=bought_likes"
    whole = api.get(f"{query}&page_size=100")
    total = json.loads(whole.headers["X-Pagination"])["total"]
    assert total == len(whole.json) > 14
    paged, page = [], 1
    while True:
        response = api.get(f"{query}&page={page}&page_size=7")
        meta = json.loads(response.headers["X-Pagination"])
        assert meta["total"] == total
        paged += response.json
        if page == meta["last_page"]:
            break
        page += 1
    assert [r["id"] for r in paged] == [r["id"] for r in whole.json]
    # Every row carries its own creator's current score (the page's rows are loaded by key).
    for row in paged[:5]:
        score = api.get(f"/v1/creators/{row['id']}/score").json["summary"]
        assert row["score"]["engagement_rate"] == score["engagement_rate"]
    # A page past the end is empty and still says how many matches there are.
    beyond = api.get(f"{query}&page=50&page_size=7")
    assert beyond.status_code == 200 and beyond.json == []
    assert json.loads(beyond.headers["X-Pagination"])["total"] == total
    # No match at all: an empty first page whose total is 0.
    none = api.get("/v1/discovery/creators?q=no-such-creator-anywhere")
    assert none.status_code == 200 and none.json == []
    assert json.loads(none.headers["X-Pagination"])["total"] == 0
