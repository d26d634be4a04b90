"""The shortlist optimiser over HTTP: budget, k, must-keep, exclude, naive comparison, save_as."""
import json

import pytest

from influencers.demo.generator import DemoConfig


def test_tiny_optimiser_picks_by_unique_reach(api, tiny):
    ids = [tiny["a"], tiny["b"], tiny["c"]]
    response = api.post("/v1/shortlist-optimisations", json={"creator_ids": ids, "k": 2})
    assert response.status_code == 200, response.json
    result = response.json
    # b (2000) first; then a adds m1, m2 at 200 = 400, c adds m7 at 250.
    assert [p["creator_id"] for p in result["picks"]] == [tiny["b"], tiny["a"]]
    assert [p["marginal_reach"] for p in result["picks"]] == pytest.approx([2000, 400])
    assert result["unique_reach"] == pytest.approx(2400)
    assert result["strategy"] == "greedy"
    assert result["naive"]["creator_ids"] == [tiny["b"], tiny["a"]]  # most followers

    budgeted = api.post("/v1/shortlist-optimisations", json={
        "creator_ids": ids, "budget_minor": 1500, "currency": "EUR",
        "fees": {str(tiny["a"]): 500, str(tiny["b"]): 1400, str(tiny["c"]): 100}}).json
    assert budgeted["total_cost_minor"] <= 1500
    assert budgeted["unique_reach"] >= budgeted["naive"]["unique_reach"] - 1e-6
    assert budgeted["budget_minor"] == 1500 and budgeted["currency"] == "EUR"
    # b + c (1500: 2000 + m7 at 250) beats a + c (600: 800 + 500, disjoint).
    assert [p["creator_id"] for p in budgeted["picks"]] == [tiny["b"], tiny["c"]]
    assert budgeted["unique_reach"] == pytest.approx(2250)
    assert [p["cost_minor"] for p in budgeted["picks"]] == [1400, 100]


def test_validation(api, tiny):
    ids = [tiny["a"], tiny["b"]]
    post = lambda body: api.post("/v1/shortlist-optimisations", json=body)  # noqa: E731
    assert post({"creator_ids": ids}).status_code == 422  # neither k nor budget
    assert post({"creator_ids": ids, "budget_minor": 10, "currency": "EUR"}).status_code == 422  # no fees
    assert post({"creator_ids": ids, "budget_minor": 10, "default_fee_minor": 1}).status_code == 422  # no currency
    assert post({"creator_ids": ids, "k": 1.5}).status_code == 422
    assert post({"creator_ids": [tiny["a"], tiny["t"]], "k": 1}).status_code == 422  # platforms
    assert post({"creator_ids": ids, "k": 1, "must_keep": [tiny["a"]], "exclude": [tiny["a"]]}).status_code == 422
    assert post({"creator_ids": ids, "k": 1, "must_keep": [tiny["a"], tiny["b"]]}).status_code == 422
    assert post({"creator_ids": ids, "budget_minor": 10, "currency": "EUR", "default_fee_minor": 50,
                 "must_keep": [tiny["a"]]}).status_code == 422  # must-keep alone over budget
    assert post({"creator_ids": ids, "budget_minor": 10, "currency": "EUR",
                 "fees": {str(tiny["a"]): 5}}).status_code == 422  # b has no fee
    assert post({"creator_ids": ids, "k": 1, "fees": {"abc": 5}}).status_code == 422
    assert post({"search": {"min_followers": 0}, "k": 1}).status_code == 422  # no platform


@pytest.fixture
def demo(scored_demo_api):
    return scored_demo_api(DemoConfig(creators=80, seed=5))


def _instagram_ids(api):
    return [c["id"] for c in api.get("/v1/creators?platform=instagram&page_size=100").json]


def test_demo_optimiser_respects_constraints_and_beats_naive(demo):
    api = demo
    ids = _instagram_ids(api)
    assert len(ids) >= 10
    keep, drop = ids[-1], ids[0]  # ids[0] is the most followed: the naive pick would take it
    body = {"creator_ids": ids, "k": 5, "must_keep": [keep], "exclude": [drop]}
    result = api.post("/v1/shortlist-optimisations", json=body).json
    chosen = [p["creator_id"] for p in result["picks"]]
    assert len(chosen) <= 5 and chosen[0] == keep and result["picks"][0]["must_keep"]
    assert drop not in chosen and drop not in result["naive"]["creator_ids"]
    assert result["unique_reach"] >= result["naive"]["unique_reach"] - 1e-6
    assert result["unique_reach"] == pytest.approx(sum(p["marginal_reach"] for p in result["picks"]))
    marginal = [p["marginal_reach"] for p in result["picks"][1:]]
    assert marginal == sorted(marginal, reverse=True)  # greedy gains only shrink

    fees = {str(c): 1000 + 137 * i for i, c in enumerate(ids)}
    budgeted = api.post("/v1/shortlist-optimisations", json={
        "creator_ids": ids, "budget_minor": 6000, "currency": "EUR", "fees": fees}).json
    assert budgeted["total_cost_minor"] <= 6000
    assert sum(fees[str(p["creator_id"])] for p in budgeted["picks"]) == budgeted["total_cost_minor"]
    assert budgeted["naive"]["total_cost_minor"] <= 6000
    assert budgeted["unique_reach"] >= budgeted["naive"]["unique_reach"] - 1e-6

    # The unique reach equals the overlap report's for the same set.
    report = api.post("/v1/overlap-reports", json={"creator_ids": [p["creator_id"] for p in budgeted["picks"]]}).json
    assert report["set"]["authentic"]["unique_reach"] == pytest.approx(budgeted["unique_reach"], rel=1e-9)


def test_search_candidates_and_save_as(demo):
    api = demo
    response = api.post("/v1/shortlist-optimisations", json={
        "search": {"platform": "instagram", "min_followers": 0, "limit": 40}, "k": 4,
        "target": {"country": ["US", "GB"]}, "save_as": "Best four"})
    assert response.status_code == 200, response.json
    result = response.json
    assert result["platform"] == "instagram" and result["candidates"] <= 40
    assert result["target"]["country"] == ["US", "GB"]
    shortlist = api.get(f"/v1/shortlists/{result['shortlist_id']}").json
    assert shortlist["name"] == "Best four"
    assert [e["creator_id"] for e in shortlist["entries"]] == [p["creator_id"] for p in result["picks"]]


def test_cli_optimise_prints_the_picks_and_saves(database, settings, monkeypatch, api, tiny):
    from click.testing import CliRunner

    from influencers.cli import main

    monkeypatch.setenv("INFLUENCERS_DATABASE_URL", database.url)
    monkeypatch.setenv("INFLUENCERS_PSEUDONYM_SECRET", "x" * 32)
    result = CliRunner().invoke(main, ["optimise", "--workspace", "brand-a", "--platform", "instagram",
                                       "--k", "2", "--save-as", "cli pick"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert " b " in lines[1] and " a " in lines[2]
    assert "unique authentic reach 2,400" in result.output
    assert api.get("/v1/shortlists").json[0]["name"] == "cli pick"
    budget = CliRunner().invoke(main, ["optimise", "--workspace", "brand-a", "--platform", "instagram",
                                       "--budget", "1000", "--default-fee", "500", "--country", "fr"])
    assert budget.exit_code == 0, budget.output
    assert "1,000" in budget.output
    assert CliRunner().invoke(main, ["optimise", "--workspace", "brand-a", "--platform", "instagram"]).exit_code == 2


def test_cli_optimise_with_a_fee_file_keep_and_exclude(database, monkeypatch, api, tiny, tmp_path):
    from click.testing import CliRunner

    from influencers.cli import main

    monkeypatch.setenv("INFLUENCERS_DATABASE_URL", database.url)
    monkeypatch.setenv("INFLUENCERS_PSEUDONYM_SECRET", "x" * 32)
    fees = tmp_path / "fees.csv"
    fees.write_text("handle,fee_minor\na,500\n@B,1400\nc,100\n")

    def run(*args):
        return CliRunner().invoke(main, ["optimise", "--workspace", "brand-a", "--platform", "instagram",
                                         "--fees", str(fees), "--json", *args])

    # The same choice as the API's budgeted example: b + c (2,250) beats a + c.
    result = run("--budget", "1500")
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert [p["handle"] for p in body["picks"]] == ["b", "c"]
    assert [p["cost_minor"] for p in body["picks"]] == [1400, 100]
    assert body["unique_reach"] == pytest.approx(2250)
    # Keeping a leaves 1,000: a + c; excluding b gives the same.
    kept = json.loads(run("--budget", "1500", "--keep", "a").output)
    assert [p["handle"] for p in kept["picks"]][0] == "a" and "b" not in [p["handle"] for p in kept["picks"]]
    excluded = json.loads(run("--budget", "1500", "--exclude", "b").output)
    assert {p["handle"] for p in excluded["picks"]} == {"a", "c"}
    assert excluded["excluded"] == [tiny["b"]]

    # Bad files and unknown handles are clear errors, not tracebacks.
    fees.write_text("handle,fee_minor\na,5.5\n")
    bad = run("--budget", "1500")
    assert bad.exit_code == 2 and "line 2: fee_minor must be a whole number" in bad.output
    fees.write_text("name,fee\na,5\n")
    assert "handle and fee_minor" in run("--budget", "1500").output
    fees.write_text("handle,fee_minor\nnobody,5\n")
    missing = run("--budget", "1500")
    assert missing.exit_code == 1 and "no instagram creators nobody" in missing.output
