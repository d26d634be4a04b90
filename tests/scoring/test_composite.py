"""The composite score, its explanation, missing data, the model as data, reach."""
from __future__ import annotations

import json

import numpy as np
import pytest

from influencers.scoring.model import DEFAULT_MODEL, ScoringModel
from influencers.scoring.score import score_creators


def walk(value, path=""):
    """Every (path, leaf) of a JSON-like structure."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from walk(v, f"{path}.{k}")
    elif isinstance(value, list):
        for k, v in enumerate(value):
            yield from walk(v, f"{path}[{k}]")
    else:
        yield path, value


def test_explanation_components_sum_to_the_score(builder, find):
    builder.creator("alice", bots=10)
    inputs, result = builder.score()
    i = find(inputs, "alice")
    explanation = result.explanation(i)
    json.dumps(explanation, allow_nan=False)
    components = {c["name"]: c for c in explanation["components"]}
    assert set(components) == {"authenticity", "engagement", "reach"}
    assert sum(c["contribution"] for c in components.values()) == pytest.approx(explanation["score"]["value"])
    for c in components.values():
        assert c["contribution"] == pytest.approx(100 * c["effective_weight"] * c["value"])
        assert c["weight"] == DEFAULT_MODEL.weights[c["name"]]
    assert sum(c["effective_weight"] for c in components.values()) == pytest.approx(1.0)
    # Centrality was not given: left out, and said so.
    assert explanation["left_out_components"][0]["name"] == "centrality"
    assert "renormalised" in explanation["left_out_components"][0]["reason"]
    assert explanation["model_version"] == DEFAULT_MODEL.version
    assert explanation["as_of"] == "2026-10-31"
    assert explanation["sample_size"] == 200 and explanation["flags"] == []
    assert explanation["audience"]["fake_follower_share"]["value"] == 0.05
    assert explanation["audience"]["fake_follower_share"]["kind"] == "estimated"
    assert explanation["engagement"]["er_followers"]["kind"] == "measured"
    assert explanation["reach"]["inputs"]["followers"]["kind"] == "measured"
    assert explanation["reach"]["inputs"]["reach_rate"]["kind"] == "estimated"
    # 10 bots in 200, shrunk toward the model's prior (0.10) with 20 pseudo-members.
    used = explanation["audience"]["fake_share_used"]
    assert used["value"] == pytest.approx((10 + 20 * 0.10) / 220) and used["prior"] == 0.10
    assert explanation["authenticity"]["value"] == pytest.approx(100 * (1 - used["value"]))


def test_tiny_samples_are_shrunk_toward_the_prior(builder, find):
    builder.creator("two", sample=2, bots=1)
    inputs, result = builder.score()
    i = find(inputs, "two")
    assert result.fake_follower_share[i] == 0.5  # what the sample says, with its wide interval
    assert result.fake_follower_share_high[i] - result.fake_follower_share_low[i] > 0.8
    assert result.fake_share_used[i] == pytest.approx((1 + 20 * 0.10) / 22)
    assert result.authenticity[i] > 85


def test_every_number_says_what_it_is(builder, find):
    builder.creator("alice", bots=10)
    inputs, result = builder.score()
    explanation = result.explanation(find(inputs, "alice"))

    def labelled(node):
        if isinstance(node, dict):
            if "value" in node and not isinstance(node["value"], (dict, list)) and "name" not in node:
                assert node.get("kind") in ("measured", "estimated"), node
            for v in node.values():
                labelled(v)
        elif isinstance(node, list):
            for v in node:
                labelled(v)

    labelled({k: v for k, v in explanation.items() if k != "components"})


def test_centrality_fills_its_slot(builder, find):
    builder.creator("alice").creator("bob")
    inputs = builder.inputs()
    without = score_creators(inputs)
    with_c = score_creators(inputs, centrality=np.array([1.0, np.nan]))
    a, b = find(inputs, "alice"), find(inputs, "bob")
    comps = {c["name"]: c for c in with_c.explanation(a)["components"]}
    assert comps["centrality"]["value"] == 1.0
    assert comps["centrality"]["effective_weight"] == pytest.approx(0.15)
    assert with_c.score[a] > without.score[a]
    # Not placed by the graph module: left out for that creator only.
    assert with_c.score[b] == pytest.approx(without.score[b])
    assert with_c.explanation(b)["left_out_components"][0]["reason"].startswith("no data for centrality")
    with pytest.raises(ValueError):
        score_creators(inputs, centrality=np.array([1.5, 0.2]))
    with pytest.raises(ValueError):
        score_creators(inputs, centrality=np.array([0.5]))


def test_missing_data_is_reported_never_nan(builder, find):
    builder.creator("full", bots=10)
    builder.records.append({"type": "creator", "platform": "instagram", "handle": "bare",
                            "followers": 20_000, "following": 300, "posts_count": 10})
    inputs, result = builder.score()
    i = find(inputs, "bare")
    explanation = result.explanation(i)
    text = json.dumps(explanation, allow_nan=False)  # raises on nan / inf
    assert "NaN" not in text
    assert np.isfinite(result.score[i]) and np.isfinite(result.authenticity[i])
    assert set(explanation["confidence"]["missing"]) == {"audience sample", "posts", "follower snapshots",
                                                          "centrality"}
    assert explanation["confidence"]["value"] == 0.0
    assert explanation["audience"]["sample_size"] == 0 and explanation["audience"]["types"] is None
    assert explanation["audience"]["fake_follower_share"]["source"] != "audience sample"
    assert explanation["engagement"]["er_followers"]["value"] is None
    assert {c["name"] for c in explanation["left_out_components"]} == {"engagement", "centrality"}
    assert explanation["as_of"] is None
    full = result.explanation(find(inputs, "full"))
    assert full["confidence"]["value"] > 0.9 and full["confidence"]["missing"] == ["centrality"]


def test_empty_inputs(builder):
    inputs, result = builder.score()
    assert result.n_creators == 0 and len(result.score) == 0


def test_reach_follower_based_and_views_based(builder, find):
    builder.creator("ig", bots=20).creator("tt", platform="tiktok", er=0.08, likes_per_view=0.07, bots=20)
    inputs, result = builder.score()
    ig, tt = find(inputs, "ig"), find(inputs, "tt")
    reach = result.explanation(ig)["reach"]
    fake, reachable = (20 + 20 * 0.1) / 220, (180 + 20 * 0.8) / 220  # 20 bots in 200, shrunk toward the priors
    expected = 50_000 * (1 - fake) * reachable * DEFAULT_MODEL.reach_rates["instagram"]
    assert reach["estimated_reach"]["basis"] == "followers"
    assert reach["estimated_reach"]["value"] == pytest.approx(expected)
    assert reach["estimated_reach"]["kind"] == "estimated"
    tiktok = result.explanation(tt)["reach"]
    assert tiktok["estimated_reach"]["basis"] == "views" and tiktok["estimated_reach"]["kind"] == "measured"
    assert tiktok["estimated_reach"]["value"] == pytest.approx(result.reach.views_based_reach[tt])


def test_model_is_plain_json_data():
    data = json.loads(DEFAULT_MODEL.to_json())
    assert data["version"] == "default-4"
    assert set(data) == {"version", "weights", "thresholds", "reach_rates", "flag_penalties"}
    assert ScoringModel.from_json(DEFAULT_MODEL.to_json()) == DEFAULT_MODEL
    edited = DEFAULT_MODEL.with_changes("brand-2", weights={"reach": 0.5})
    assert edited.weights["reach"] == 0.5 and edited.version == "brand-2"
    for bad in ({"version": "x", "weights": {"virality": 1}}, {"version": "x", "thresholds": {"spike_z": "high"}},
                {"version": ""}, {"version": "x", "pickle": "..."}):
        with pytest.raises(ValueError):
            ScoringModel.from_dict(bad)


def test_weights_come_from_the_model(builder, find):
    builder.creator("alice")
    inputs = builder.inputs()
    only_reach = DEFAULT_MODEL.with_changes("reach-only", weights={"authenticity": 0, "engagement": 0, "reach": 1})
    result = score_creators(inputs, only_reach)
    assert result.score[0] == pytest.approx(100 * result.components["reach"][0])
    assert result.explanation(0)["model_version"] == "reach-only"


def test_columns_for_export(builder):
    builder.creator("alice").creator("buyer", bots=90)
    inputs, result = builder.score()
    columns = result.columns()
    for name in ("platform", "handle", "score", "authenticity", "fake_follower_share", "engagement_rate",
                 "estimated_reach", "flags"):
        assert len(columns[name]) == 2
    assert list(columns["flags"]) == ["", "bought_followers"]


def test_engagement_sections_made_ahead_give_the_same_stored_explanations(builder):
    # A scoring run makes the engagement sections (and encodes them) while its audience pass
    # runs; what it stores must be exactly what encoding the whole explanation gives.
    from influencers.db import encode_json, json_fragments
    from influencers.scoring.score import activity_signals, engagement_explanations

    builder.creator("alice", bots=10)
    builder.creator("bob", platform="tiktok", views=True)
    builder.creator("carol", posts=0)
    inputs = builder.inputs()
    activity = activity_signals(inputs, DEFAULT_MODEL)
    sections = list(engagement_explanations(inputs, activity))
    result = score_creators(inputs, DEFAULT_MODEL, activity=activity)
    whole = [encode_json(e) for e in result.explanations()]
    ahead = [encode_json(e) for e in result.explanations(json_fragments(sections))]
    assert ahead == whole
    assert all(json.loads(text)["engagement"]["er_followers"]["benchmark"]["kind"] == "estimated" for text in ahead)
    with pytest.raises(ValueError, match="2 engagement sections for 3 creators"):
        result.explanations(sections[:2])
