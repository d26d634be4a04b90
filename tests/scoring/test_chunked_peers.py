"""A workspace scored creator range by creator range against its first pass's peer statistics
gives each creator what scoring the whole workspace at once gives it."""
from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from influencers.demo.generator import generate
from influencers.demo.parameters import DemoConfig
from influencers.scoring.audience import audience_authenticity, authentic_memberships
from influencers.scoring.audience_peers import AudienceValues, audience_peers, gather_audience, member_statistics
from influencers.scoring.audience_signals import AudienceSignals
from influencers.scoring.chunks import creator_range, ranges
from influencers.scoring.fraud import CommentGraph, comments_own_inputs
from influencers.scoring.fraud_hidden import engagement_own_inputs
from influencers.scoring.inputs import PLATFORMS, inputs_from_records
from influencers.scoring.model import DEFAULT_MODEL
from influencers.scoring.own_baseline import excess_over_own_baseline
from influencers.scoring.peers import ActivityStatistics, ActivityValues, gather_activity
from influencers.scoring.score import activity_signals, score_creators

# Its module-scoped workspaces are built once per worker that runs any of its tests: one worker runs them all.
pytestmark = pytest.mark.xdist_group("chunked-peers")

CHUNK = 37  # creators per range: not a divisor of the workspace, ranges cut platforms


@pytest.fixture(scope="module")
def workspace():
    inputs = inputs_from_records(list(generate(DemoConfig(creators=300, seed=3))), b"test-secret")
    return inputs, activity_signals(inputs, DEFAULT_MODEL)


@pytest.fixture(scope="module")
def peers(workspace, tmp_path_factory):
    """The first pass's statistics, the per-post values spilled to files (as a chunked run gathers them)."""
    inputs, _whole = workspace
    values = ActivityStatistics(tmp_path_factory.mktemp("spilled"))
    for start, stop in ranges(inputs.n_creators, CHUNK):
        values.add(gather_activity(creator_range(inputs, start, stop), DEFAULT_MODEL))
    return values.peers(DEFAULT_MODEL, CommentGraph.of(inputs))


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


@pytest.fixture(scope="module")
def scored(workspace, peers):
    """The whole workspace scored at once, and range by range against its first pass."""
    inputs, _whole = workspace
    inputs = dataclasses.replace(inputs, member_ids=np.arange(len(inputs.member_followers)) * 7 + 3)
    whole = score_creators(inputs, DEFAULT_MODEL)
    values = AudienceValues(member_statistics(inputs, DEFAULT_MODEL))
    chunks = [creator_range(inputs, start, stop) for start, stop in ranges(inputs.n_creators, CHUNK)]
    for chunk in chunks:
        gather_audience(values, chunk, DEFAULT_MODEL)
    audience = audience_peers(values, DEFAULT_MODEL)
    parts = [score_creators(chunk, DEFAULT_MODEL, audience=audience_authenticity(chunk, DEFAULT_MODEL, peers=audience),
                            activity=activity_signals(chunk, DEFAULT_MODEL, peers=peers)) for chunk in chunks]
    return inputs, whole, chunks, parts, audience


AUDIENCE_FIELDS = ("sample_size", "type_counts", "fake_share", "fake_share_low", "reachable_share")


def test_each_range_s_audience_is_the_whole_workspace_s(scored):
    inputs, whole, _chunks, parts, _audience = scored
    aud = whole._audience
    assert np.nansum(aud.signals.farm_share) > 0 and aud.signals.farm_unrelated_creators.sum() > 0
    assert np.nansum(aud.signals.foreign_share) > 0
    for (start, stop), part in zip(ranges(inputs.n_creators, CHUNK), parts):
        for name in AUDIENCE_FIELDS:
            assert_same(getattr(part._audience, name), getattr(aud, name)[start:stop], name)
        for field in dataclasses.fields(AudienceSignals):
            assert_same(getattr(part._audience.signals, field.name), getattr(aud.signals, field.name)[start:stop],
                        field.name)
        for name in ("score", "authenticity", "fake_follower_share", "prior_fake_share", "prior_reachable_share",
                     "estimated_reach", "confidence"):
            assert_same(getattr(part, name), getattr(whole, name)[start:stop], name)
        for name, flag in part.flags.items():
            assert_same(flag.flagged, whole.flags[name].flagged[start:stop], f"{name} flagged")
        for i in range(stop - start):
            assert part.explanation(i) == whole.explanation(start + i)


def test_each_range_s_sketch_members_are_the_whole_workspace_s(scored):
    inputs, _whole, chunks, _parts, audience = scored
    expected = authentic_memberships(inputs, DEFAULT_MODEL)
    assert not expected.all()
    for (start, stop), chunk in zip(ranges(inputs.n_creators, CHUNK), chunks):
        rows = (inputs.sample_creator >= start) & (inputs.sample_creator < stop)
        got = authentic_memberships(chunk, DEFAULT_MODEL, bot_like_keys=audience.bot_like_keys)
        assert_same(got, expected[rows], "authentic rows")


def test_a_range_s_inputs_are_staged_as_typed_arrays_without_pickle(scored, tmp_path):
    from influencers.scoring.chunked_run import _load_inputs, _save_inputs

    inputs = dataclasses.replace(scored[0])
    inputs.country = inputs.country.copy()
    inputs.country[0] = None  # unknown, not the empty string
    inputs.country[1] = ""
    path = tmp_path / "inputs.npz"
    assert _save_inputs(inputs, path)
    staged = _load_inputs(path)  # np.load(allow_pickle=False) inside: a pickled field would raise
    for field in dataclasses.fields(inputs):
        original, back = getattr(inputs, field.name), getattr(staged, field.name)
        if original is None:
            assert back is None, field.name
        elif isinstance(original, pd.Categorical):
            assert list(back.categories) == list(original.categories), field.name
            np.testing.assert_array_equal(back.codes, original.codes, err_msg=field.name)
        else:
            assert back.dtype == original.dtype, field.name
            assert [None if v != v else v for v in back.tolist()] == \
                [None if v != v else v for v in original.tolist()], field.name


def test_inputs_holding_other_objects_are_not_staged(scored, tmp_path):
    from influencers.scoring.chunked_run import _save_inputs

    inputs = dataclasses.replace(scored[0])
    inputs.handles = np.array([object()] * inputs.n_creators, dtype=object)
    path = tmp_path / "inputs.npz"
    assert not _save_inputs(inputs, path)
    assert not path.exists()


def test_the_first_pass_keeps_no_per_post_values_in_memory(workspace, tmp_path):
    """A chunked run's first pass holds a few values per creator; its per-post values (most of
    them) go to files, so its memory does not grow with the posts of the whole workspace."""
    inputs, _whole = workspace
    values = ActivityStatistics(tmp_path)
    for start, stop in ranges(inputs.n_creators, CHUNK):
        values.add(gather_activity(creator_range(inputs, start, stop), DEFAULT_MODEL))
    held = ActivityValues.concatenate(values.creators)
    assert len(inputs.post_creator) > 10 * inputs.n_creators
    assert len(held.post_platform) == 0 and all(len(v) == 0 for v in held.post_metrics.values())
    assert len(held.own_comments.deviation) == 0 and len(held.own_engagement.excess) == 0
    assert values.posts.n_rows == len(inputs.post_creator)
