"""The default-2 threat model, one hand-built creator per phenomenon, through a real scoring run
(import, run, the stored explanation), on SQLite and (with INFLUENCERS_TEST_DATABASE_URL) PostgreSQL.

Fraud that hides must be flagged with its measured evidence; honest creators who look odd
must not be, and their explanation says why (see tests/scoring/hidden_fraud_cases.py).
"""
import functools
import io
import json

import pytest
from sqlalchemy import select

from influencers.creators.models import Creator
from influencers.imports import run_import
from influencers.scoring.runs import create_run, execute_run
from influencers.scoring.store import CreatorScore, CreatorScoreExplanation
from tests.fixtures.api import make_workspace
from tests.fixtures.database import TEST_SECRET
from tests.scoring.hidden_fraud_cases import FRAUD, HONEST_ODD, build

# One xdist worker scores the cases (once per audience pass) for every test here.
pytestmark = pytest.mark.xdist_group("hidden-fraud")


def _score_the_cases(db, *, audience_pass: str) -> dict:
    """Imports the cases into a new workspace and runs one scoring run; returns every creator's
    stored explanation, by handle."""
    workspace_id, _key = make_workspace(db, "brand-a")
    report = run_import(db, workspace_id, io.BytesIO("\n".join(json.dumps(r) for r in build()).encode()),
                        secret=TEST_SECRET)
    assert report.rejected_count == 0, report.rejected[:3]
    run_id = create_run(db, workspace_id)
    execute_run(db, workspace_id, run_id, worker_min_creators=1 if audience_pass == "worker" else None)
    with db.transaction(write=False) as session:
        rows = session.execute(
            select(Creator.handle, CreatorScoreExplanation.explanation)
            .join(CreatorScore, CreatorScore.creator_id == Creator.id)
            .join(CreatorScoreExplanation, CreatorScoreExplanation.score_id == CreatorScore.id)
            .where(CreatorScore.run_id == run_id)).all()
    return {"explained": {handle: explanation if isinstance(explanation, dict) else json.loads(explanation)
                          for handle, explanation in rows}}


@pytest.fixture(scope="module", params=["in-process", "worker"])
def explained(request, database_templates):
    """Every creator's stored explanation, by handle, after one scoring run (audience pass in
    this process, or in the worker process); scored once per test process, read by every test."""
    template = database_templates.get(f"hidden-fraud-{request.param}",
                                      functools.partial(_score_the_cases, audience_pass=request.param))
    return template.facts["explained"]


def flags_of(explanation) -> dict:
    return {f["name"]: f for f in explanation["flags"]}


def signal(flag, name) -> dict:
    return next(s for s in flag["evidence"]["signals"] if s["name"] == name)


def test_the_new_default_model_scores(explained):
    assert {e["model_version"] for e in explained.values()} == {"default-4"}


@pytest.mark.parametrize("handle", sorted(FRAUD))
def test_fraud_that_hides_is_flagged_with_measured_evidence(explained, handle):
    flags = flags_of(explained[handle])
    assert FRAUD[handle] in flags, (handle, list(flags), explained[handle]["signals"])
    flag = flags[FRAUD[handle]]
    assert 0 < flag["strength"]["value"] <= 1
    for s in flag["evidence"]["signals"]:
        assert "value" in s and "kind" in s, s
    assert any("threshold" in s for s in flag["evidence"]["signals"])
    assert explained[handle]["authenticity"]["value"] < 70


def test_drip_fed_followers_evidence_names_window_peers_and_engagement(explained):
    flag = flags_of(explained["drip_fr"])["drip_followers"]
    growth = signal(flag, "window_daily_growth")
    assert 14 <= growth["window_days"] <= 70
    assert growth["peer_group"]["n"] >= 1 and "threshold" in growth
    assert signal(flag, "engagement_elasticity")["value"] < 0.5


def test_a_long_even_drip_is_judged_over_its_whole_length(explained):
    flag = flags_of(explained["longdrip_fr"])["drip_followers"]
    assert signal(flag, "window_daily_growth")["window_days"] >= 56
    assert signal(flag, "window_gain_share")["value"] >= 0.3


def test_a_short_drip_is_judged_over_its_weeks_not_the_quiet_ones_around_it(explained):
    flag = flags_of(explained["shortdrip_fr"])["drip_followers"]
    growth = signal(flag, "window_daily_growth")
    assert 14 <= growth["window_days"] <= 28
    assert signal(flag, "own_daily_growth_outside_window")["value"] < 0.001
    # Every post counts, those after the drip too: engagement stayed put while followers rose 28%.
    elasticity = signal(flag, "engagement_elasticity")
    assert elasticity["value"] < 0.5 and elasticity["value"] + 1.64 * elasticity["standard_error"] < 1


def test_a_drip_within_the_noise_is_not_flagged_and_the_rule_says_why(explained):
    explanation = explained["smalldrip_fr"]
    assert "drip_followers" not in flags_of(explanation)
    reasons = [a["reason"] for a in explanation["abstentions"] if a["flag"] == "drip_followers"]
    assert len(reasons) == 1, explanation["abstentions"]
    assert "far above the peers" in reasons[0] and "within the noise" in reasons[0]
    assert "120 members" in reasons[0] and "binomial p" in reasons[0]


def test_own_baseline_tests_are_signals_of_every_creator(explained):
    """The own-baseline values (count out of n, the platform's rate, p-value, thresholds) are in
    every creator's signals section, flagged or not, and agree with a flag's evidence."""
    for explanation in explained.values():
        for name in ("posts_far_above_own_baseline", "posts_comments_far_above_own_baseline"):
            own = explanation["signals"][name]
            assert own["kind"] == "measured" and set(own["threshold"]) == {"z", "p_value_below", "share_at_least"}
            assert "rate_far_above" in own["peer_group"] and "p_value" in own and "posts_far_above" in own
    for handle, flag, name in (("partbought_fr", "bought_engagement", "posts_far_above_own_baseline"),
                               ("partpod_fr", "comment_pod", "posts_comments_far_above_own_baseline")):
        evidence = signal(flags_of(explained[handle])[flag], name)
        own = explained[handle]["signals"][name]
        assert (own["value"], own["n"], own["posts_far_above"], own["p_value"]) == (
            evidence["value"], evidence["n"], evidence["posts_far_above"], evidence["p_value"])
        assert own["peer_group"]["rate_far_above"] == evidence["peer_group"]["rate_far_above"]
    quiet = explained["food_fr_0"]["signals"]["posts_far_above_own_baseline"]
    assert quiet["n"] == 24 and quiet["p_value"] > 0.001


def test_farm_overlap_says_how_many_unrelated_creators_share_the_members(explained):
    flag = flags_of(explained["farmed_fr"])["suspicious_audience"]
    shared = signal(flag, "farm_shared_member_share")
    assert shared["value"] >= 0.3 and shared["n"] == 120
    assert shared["unrelated_creators_sharing"] >= 2
    assert explained["farmed_fr"]["audience"]["fake_follower_share"]["value"] >= 0.3


def test_aged_bots_from_an_unshared_farm_are_foreign_and_dormant(explained):
    flag = flags_of(explained["agedbots_fr"])["suspicious_audience"]
    dormant = signal(flag, "foreign_dormant_share")
    assert dormant["value"] >= 0.3 and dormant["peer_group"]["n"] >= 5
    assert explained["agedbots_fr"]["audience"]["fake_follower_share"]["value"] >= 0.3


def test_aged_bots_at_a_small_share_are_foreign_members_dormant_far_more_than_local_ones(explained):
    flag = flags_of(explained["fewbots_fr"])["suspicious_audience"]
    contrast = signal(flag, "foreign_vs_local_dormancy")
    assert contrast["value"] == 1.0 and contrast["n"] == 18
    assert contrast["local"]["n"] == 102 and contrast["local"]["dormant_share"] < 0.2
    assert contrast["p_value"] < contrast["threshold"]["p_value_below"]
    assert signal(flag, "foreign_dormant_share")["value"] == 0.15
    assert explained["fewbots_fr"]["signals"]["foreign_vs_local_dormancy"]["p_value"] == contrast["p_value"]


def test_a_real_audience_abroad_mostly_active_is_not_suspicious(explained):
    """Its foreign members are dormant more often than its local ones (a quarter against none),
    beyond chance, but mostly active: aged bots are nearly all dormant."""
    explanation = explained["abroad_fr"]
    assert explanation["flags"] == []
    assert explanation["signals"]["foreign_share"]["value"] >= 0.3
    contrast = explanation["signals"]["foreign_vs_local_dormancy"]
    assert contrast["n"] == 60 and contrast["value"] == 0.25 and contrast["local"]["dormant_share"] == 0
    assert contrast["value"] < contrast["threshold"]["foreign_dormant_share_at_least"]


def test_pod_without_partners_in_the_data(explained):
    flag = flags_of(explained["hiddenpod_fr"])["comment_pod"]
    assert signal(flag, "reciprocal_comment_partners")["value"] == 0


@pytest.mark.parametrize("handle, flag, name", [
    ("partbought_fr", "bought_engagement", "posts_far_above_own_baseline"),
    ("partpod_fr", "comment_pod", "posts_comments_far_above_own_baseline")])
def test_posts_bought_on_a_share_of_posts_stand_apart_from_the_creators_own(explained, handle, flag, name):
    """The evidence a creator can check: which posts, how far above its own quiet posts, and how
    often the platform's creators have a post that far above their own (the peer rate)."""
    own = signal(flags_of(explained[handle])[flag], name)
    assert own["kind"] == "measured" and own["n"] == 24
    assert own["posts_far_above"] >= 6 and len(own["posts"]) == own["posts_far_above"]
    assert all(post.startswith(f"{handle}-p") for post in own["posts"])
    assert own["p_value"] < own["threshold"]["p_value_below"]
    peers = own["peer_group"]
    assert peers["platform"] == "instagram" and peers["creators"] >= 40
    assert peers["rate_far_above"] < 0.1
    assert own["far_above_factor"] > 1


@pytest.mark.parametrize("handle", HONEST_ODD)
def test_honest_creators_who_look_odd_are_not_flagged(explained, handle):
    assert explained[handle]["flags"] == [], (handle, explained[handle]["flags"])


def test_honest_peers_from_every_country_are_not_flagged(explained):
    peers = [h for h in explained if h.split("_")[0] in ("food", "travel", "fitness", "tech")]
    assert len(peers) == 32
    assert {h: [f["name"] for f in explained[h]["flags"]] for h in peers if explained[h]["flags"]} == {}


def test_featured_jump_is_explained_by_the_bigger_account(explained):
    notes = explained["featured_fr"]["notes"]["follower_spike"]["organic_spikes"]
    assert notes and notes[0]["featured_by"] == "big_fr"
    assert notes[0]["featured_by_followers"] > 26_400


def test_teen_audience_is_youth_not_fraud(explained):
    e = explained["teens_fr"]
    assert e["audience"]["fake_follower_share"]["value"] < 0.1
    youth = e["signals"]["youth_share"]
    assert youth["value"] >= 0.6 and youth["kind"] == "measured"


@pytest.mark.parametrize("handle, flag", [("channel_wa", "bought_likes"), ("channel_wa", "comment_pod"),
                                          ("blog_fr", "bought_likes"), ("pro_li", "drip_followers"),
                                          ("pro_li", "follower_spike")])
def test_rules_abstain_where_the_platform_lacks_their_input(explained, handle, flag):
    abstained = {a["flag"]: a["reason"] for a in explained[handle]["abstentions"]}
    assert flag in abstained and abstained[flag]


def test_no_comment_platforms_keep_their_authenticity(explained):
    assert explained["channel_wa"]["authenticity"]["value"] > 80


def test_every_creator_carries_the_new_signals_as_named_measured_values(explained):
    names = {"window_daily_growth", "engagement_elasticity", "farm_shared_member_share", "foreign_share",
             "foreign_dormant_share", "inactive_share", "youth_share", "engagement_per_view_z",
             "engagement_outlier_post_share"}
    for handle in ("food_fr_0", "drip_fr", "farmed_us"):
        signals = explained[handle]["signals"]
        assert names <= set(signals), names - set(signals)
        for s in signals.values():
            assert s["kind"] in ("measured", "estimated")
