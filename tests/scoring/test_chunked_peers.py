"""A workspace scored creator range by creator range against its first pass's peer statistics
gives each creator what scoring the whole workspace at once gives it."""
from __future__ import annotations

import numpy as np
import pytest

from influencers.demo.generator import generate
from influencers.demo.parameters import DemoConfig
from influencers.scoring.chunks import creator_range, ranges
from influencers.scoring.fraud import comments_own_inputs
from influencers.scoring.fraud_hidden import engagement_own_inputs
from influencers.scoring.inputs import PLATFORMS, inputs_from_records
from influencers.scoring.model import DEFAULT_MODEL
from influencers.scoring.own_baseline import excess_over_own_baseline
from influencers.scoring.peers import ActivityValues, gather_activity
from influencers.scoring.score import activity_signals

CHUNK = 37  # creators per range: not a divisor of the workspace, ranges cut platforms


@pytest.fixture(scope="module")
def workspace():
    inputs = inputs_from_records(list(generate(DemoConfig(creators=300, seed=3))), b"test-secret")
    return inputs, activity_signals(inputs, DEFAULT_MODEL)


@pytest.fixture(scope="module")
def peers(workspace):
    inputs, _whole = workspace
    values = [gather_activity(creator_range(inputs, start, stop), DEFAULT_MODEL)
              for start, stop in ranges(inputs.n_creators, CHUNK)]
    return ActivityValues.concatenate(values).peers(DEFAULT_MODEL)


def assert_same(actual, expected, what):
    np.testing.assert_array_equal(np.asarray(actual), np.asarray(expected), err_msg=what)


def test_first_pass_benchmarks_are_the_whole_workspace_s(workspace, peers):
    _inputs, whole = workspace
    expected = whole.engagement.benchmarks
    assert (expected["er_followers"].source == 2).any()  # some cells are the workspace's own
    for metric, table in peers.benchmarks.tables.items():
        for name in ("median", "log_scale", "count", "source"):
            assert_same(getattr(table, name), getattr(expected[metric], name), f"{metric}.{name}")


def test_each_range_scored_against_the_peers_is_the_whole_workspace_s_slice(workspace, peers):
    inputs, whole = workspace
    eng_w, flags_w = whole.engagement, whole.flags
    drip_w = flags_w["drip_followers"].signals["drip"]
    checked_drip = 0
    for start, stop in ranges(inputs.n_creators, CHUNK):
        chunk = creator_range(inputs, start, stop)
        part = activity_signals(chunk, DEFAULT_MODEL, peers=peers)
        eng = part.engagement
        rows = np.flatnonzero((inputs.post_creator >= start) & (inputs.post_creator < stop))
        for m in eng.metrics:
            assert_same(eng.metrics[m], eng_w.metrics[m][start:stop], f"metric {m}")
            assert_same(eng.z[m], eng_w.z[m][start:stop], f"z {m}")
        assert_same(eng.posts.likes_excess_z, eng_w.posts.likes_excess_z[rows], "post likes excess z")
        drip = part.flags["drip_followers"].signals["drip"]
        for name in ("rate", "z", "window", "peer_median", "peer_scale", "peer_n", "gain_share"):
            assert_same(drip[name], drip_w[name][start:stop], f"drip {name}")
        checked_drip += int(np.isfinite(drip["z"]).sum())
        for name in ("drip_followers", "bought_engagement", "bought_likes", "following_churn"):
            assert_same(part.flags[name].flagged, flags_w[name].flagged[start:stop], f"{name} flagged")
            assert_same(part.flags[name].strength, flags_w[name].strength[start:stop], f"{name} strength")
        for own_inputs in (comments_own_inputs, engagement_own_inputs):
            kind = "comments" if own_inputs is comments_own_inputs else "engagement"
            own_peers = peers.own_comments if kind == "comments" else peers.own_engagement
            t = DEFAULT_MODEL.threshold("own_excess_z")
            expected = excess_over_own_baseline(*own_inputs(inputs, eng_w), inputs.n_creators, len(PLATFORMS), t)
            got = excess_over_own_baseline(*own_inputs(chunk, eng), chunk.n_creators, len(PLATFORMS), t,
                                           peers=own_peers)
            for name in ("count", "n", "scale", "peer_rate", "peer_posts", "peer_creators", "p_value"):
                assert_same(getattr(got, name), getattr(expected, name)[start:stop], f"own {kind} {name}")
    assert checked_drip > 100
