"""Audience member classification, the Wilson interval and the audience shares."""
from __future__ import annotations

import numpy as np
import pytest

from influencers.scoring.audience import MEMBER_TYPES, audience_authenticity, classify_memberships, wilson_interval
from influencers.scoring.inputs import PLATFORMS, ScoringInputs
from influencers.scoring.model import DEFAULT_MODEL

SAMPLE_DAY = np.datetime64("2026-10-31")


def classify(**member) -> str:
    """The type of one member sampled on SAMPLE_DAY."""
    defaults = dict(followers=250, following=300, posts_count=120, has_avatar=True, bio_length=40,
                    created_at="2019-05-01", last_post_at="2026-10-20", country="FR")
    m = {**defaults, **member}
    inputs = ScoringInputs(
        platform=[0], followers=[10_000], sample_date=[SAMPLE_DAY],
        member_followers=[m["followers"]], member_following=[m["following"]],
        member_posts_count=[m["posts_count"]], member_has_avatar=[m["has_avatar"]],
        member_bio_length=[np.nan if m["bio_length"] is None else m["bio_length"]],
        member_created_at=[m["created_at"] or "NaT"], member_last_post_at=[m["last_post_at"] or "NaT"],
        member_country=[m["country"]],
        sample_creator=[0], sample_member=[0],
    )
    kind, _ = classify_memberships(inputs, DEFAULT_MODEL)
    return MEMBER_TYPES[kind[0]]


def test_platform_list_matches_the_stored_models():
    from influencers.creators.models import PLATFORMS as STORED

    assert PLATFORMS == STORED


def test_bot_like_member_is_suspicious():
    # The sample file's u-77aa: 3 followers, following 4,100, never posted, no picture, no bio, 1 month old.
    assert classify(followers=3, following=4100, posts_count=0, has_avatar=False, bio_length=0,
                    created_at="2026-09-30", last_post_at=None, country=None) == "suspicious"


def test_following_ratio_with_profile_gap_is_suspicious_even_for_an_old_account():
    assert classify(followers=20, following=2500, created_at="2015-01-01", has_avatar=False) == "suspicious"


def test_mass_follower():
    assert classify(followers=900, following=3000, posts_count=300) == "mass_follower"


def test_inactive_member():
    assert classify(last_post_at="2025-01-10") == "inactive"
    assert classify(posts_count=0, last_post_at=None) == "inactive"


def test_dormant_human_with_profile_gaps_is_inactive_not_fake():
    # No picture, no bio, few followers, never posted, but an old account following few:
    # no behavioural indicator, so not counted as fake.
    assert classify(followers=12, following=90, posts_count=0, has_avatar=False, bio_length=0,
                    created_at="2014-03-01", last_post_at=None) == "inactive"


def test_real_member_and_unknowns_are_not_evidence():
    assert classify() == "real"
    assert classify(bio_length=None, created_at=None, country=None) == "real"
    # A young but otherwise ordinary account is real: one indicator is not enough.
    assert classify(created_at="2026-09-01") == "real"


def test_wilson_interval_known_values():
    low, high = wilson_interval([20, 0, 0], [100, 10, 0])
    # 20/100: Wilson 95% interval [0.1334, 0.2888]; 0/10: [0, 0.2775].
    assert low[0] == pytest.approx(0.1334, abs=1e-4) and high[0] == pytest.approx(0.2888, abs=1e-4)
    assert low[1] == pytest.approx(0.0, abs=1e-12) and high[1] == pytest.approx(0.2775, abs=1e-4)
    assert np.isnan(low[2]) and np.isnan(high[2])


def test_audience_shares_interval_and_reachable_share(builder, find):
    builder.creator("clean", sample=100, bots=0).creator("botty", sample=100, bots=40).creator("nosample", sample=0)
    inputs = builder.inputs()
    aud = audience_authenticity(inputs, DEFAULT_MODEL)
    clean, botty, none = find(inputs, "clean"), find(inputs, "botty"), find(inputs, "nosample")
    assert aud.sample_size[[clean, botty, none]].tolist() == [100, 100, 0]
    assert aud.fake_share[botty] == pytest.approx(0.40)
    low, high = wilson_interval(40, 100)
    assert (aud.fake_share_low[botty], aud.fake_share_high[botty]) == pytest.approx((float(low), float(high)))
    assert aud.fake_share[clean] == 0.0
    # The bots follow 4,100 accounts each: only the 60 real members are reachable.
    assert aud.reachable_share[botty] == pytest.approx(0.60)
    assert aud.type_shares[botty].sum() == pytest.approx(1.0)
    assert np.isnan(aud.fake_share[none]) and np.isnan(aud.reachable_share[none])


def test_same_member_in_two_samples_is_stored_once(builder):
    builder.creator("a", sample=10).creator("b", sample=10)
    inputs = builder.inputs()
    assert len(inputs.member_followers) == 10
    assert len(inputs.sample_member) == 20
    assert inputs.member_keys is not None and all(len(k) == 32 for k in inputs.member_keys)
    assert not any(str(k).startswith("real-") for k in inputs.member_keys)
