"""Overlap reports over HTTP, checked against numbers computed by hand (see conftest)."""
import pytest


def by_handle(report):
    return {row["handle"]: row for row in report["creators"]}


def test_overlap_report_matches_hand_computed_sets(api, tiny):
    ids = [tiny["a"], tiny["b"], tiny["c"]]
    response = api.post("/v1/overlap-reports", json={"creator_ids": ids})
    assert response.status_code == 200, response.json
    report = response.json
    assert report["platform"] == "instagram" and report["as_of"] == "2026-10-15"
    rows = by_handle(report)
    # Latest samples only; m8 is bot-like, so a counts 4 of its 5 members.
    assert [rows[h]["sample_size"] for h in "abc"] == [5, 4, 2]
    assert [rows[h]["bot_like_members"] for h in "abc"] == [1, 0, 0]
    assert [rows[h]["counted_sample_size"] for h in "abc"] == [4, 4, 2]
    # No scores yet: the fake share is the sample's measured bot share.
    assert [rows[h]["fake_share_source"] for h in "abc"] == ["sample"] * 3
    assert rows["a"]["fake_share"] == pytest.approx(0.2)
    assert report["pairwise"]["creator_ids"] == ids
    assert report["pairwise"]["shared"] == [[4, 2, 0], [2, 4, 1], [0, 1, 2]]
    jac = report["pairwise"]["jaccard"]
    assert jac[0][1] == pytest.approx(2 / 6) and jac[1][2] == pytest.approx(1 / 5) and jac[0][2] == 0
    cont = report["pairwise"]["containment"]
    assert cont[0][1] == pytest.approx(0.5) and cont[2][1] == pytest.approx(0.5) and cont[1][2] == pytest.approx(0.25)
    # Unique: a {m1, m2}, b {m5}, c {m7}.
    assert [rows[h]["unique_members"] for h in "abc"] == [2, 1, 1]
    assert [rows[h]["unique_share"] for h in "abc"] == pytest.approx([0.5, 0.25, 0.5])
    assert [rows[h]["overlapping_share"] for h in "abc"] == pytest.approx([0.5, 0.75, 0.5])
    s = report["set"]
    assert s["distinct_sampled_members"] == 7
    assert s["sample_duplication_factor"] == pytest.approx(10 / 7)
    # Authentic weights F (1 - fake) / authentic members: a 1000 x 0.8 / 4 = 200, b 500, c 250.
    assert [rows[h]["member_weight"] for h in "abc"] == pytest.approx([200, 500, 250])
    auth = s["authentic"]
    assert auth["total_audience"] == pytest.approx(800 + 2000 + 500)
    # Max-weight union: b 4 x 500, then c adds m7 x 250, then a adds m1, m2 x 200.
    assert auth["unique_reach"] == pytest.approx(2650)
    assert auth["duplication_factor"] == pytest.approx(3300 / 2650)
    assert auth["ci_low"] <= 2650 <= auth["ci_high"]
    assert auth["base_sample_sizes"] == [4, 4, 2] and auth["counted_sample_sizes"] == [4, 4, 2]
    # In follower counts (no authenticity): F / n = 200, 500, 250 over all members; a adds m1, m2, m8.
    assert s["followers"]["unique_reach"] == pytest.approx(2000 + 250 + 600)
    assert s["followers"]["total_audience"] == pytest.approx(3500)
    assert "pairwise.jaccard" in report["labels"]["measured"]
    assert any(label.startswith("set.authentic") for label in report["labels"]["estimated"])


def test_target_audience_counts_only_matching_members(api, tiny):
    ids = [tiny["a"], tiny["b"], tiny["c"]]
    report = api.post("/v1/overlap-reports", json={"creator_ids": ids, "target": {"country": ["fr"]}}).json
    rows = by_handle(report)
    assert [rows[h]["counted_sample_size"] for h in "abc"] == [3, 2, 1]
    assert report["pairwise"]["shared"] == [[3, 1, 0], [1, 2, 0], [0, 0, 1]]
    # b: m4, m5 x 500; c: m7 x 250; a: m1, m2 x 200.
    assert report["set"]["authentic"]["unique_reach"] == pytest.approx(1000 + 250 + 400)
    assert report["target"]["country"] == ["FR"]


def test_shortlist_overlap_is_one_call(api, tiny):
    shortlist = api.post("/v1/shortlists", json={"name": "s", "creator_ids": [tiny["c"], tiny["b"], tiny["a"]]}).json
    response = api.get(f"/v1/shortlists/{shortlist['id']}/overlap")
    assert response.status_code == 200, response.json
    assert response.json["shortlist_id"] == shortlist["id"]
    assert response.json["pairwise"]["creator_ids"] == [tiny["c"], tiny["b"], tiny["a"]]
    assert response.json["set"]["authentic"]["unique_reach"] == pytest.approx(2650)
    targeted = api.get(f"/v1/shortlists/{shortlist['id']}/overlap?country=FR&gender=female")
    assert targeted.json["set"]["authentic"]["unique_reach"] == pytest.approx(1650)
    assert api.get(f"/v1/shortlists/{shortlist['id']}/overlap?country=France").status_code == 422
    assert api.get(f"/v1/shortlists/{shortlist['id']}/overlap?bogus=1").status_code == 422
    empty = api.post("/v1/shortlists", json={"name": "empty"}).json
    assert api.get(f"/v1/shortlists/{empty['id']}/overlap").json["set"]["creators"] == 0


def test_scores_provide_the_fake_share_once_scored(api, tiny):
    from tests.fixtures.scoring import run_scoring

    run_scoring(api)
    report = api.post("/v1/overlap-reports", json={"creator_ids": [tiny["a"], tiny["b"]]}).json
    assert {row["fake_share_source"] for row in report["creators"]} == {"score"}
    assert all(row["score_as_of"] for row in report["creators"])


def test_mixed_platforms_and_bad_requests_answer_422(api, tiny):
    mixed = api.post("/v1/overlap-reports", json={"creator_ids": [tiny["a"], tiny["t"]]})
    assert mixed.status_code == 422 and "platform" in mixed.json["message"]
    shortlist = api.post("/v1/shortlists", json={"name": "mixed", "creator_ids": [tiny["a"], tiny["t"]]}).json
    assert api.get(f"/v1/shortlists/{shortlist['id']}/overlap").status_code == 422
    assert api.post("/v1/overlap-reports", json={"creator_ids": []}).status_code == 422
    assert api.post("/v1/overlap-reports", json={"creator_ids": [987654]}).status_code == 422
    assert api.post("/v1/overlap-reports", json={"creator_ids": list(range(1, 502))}).status_code == 422
    assert api.post("/v1/overlap-reports", json={"creator_ids": [tiny["a"]], "extra": 1}).status_code == 422
