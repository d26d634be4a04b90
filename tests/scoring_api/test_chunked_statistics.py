"""A chunked run's workspace-level statistics, read a range at a time, are those of the whole
workspace's inputs computed at once."""
import numpy as np
import pytest

from influencers.scoring.audience_peers import CreatorFacts, member_statistics
from influencers.scoring.loader import _scope, load_inputs, read_latest_samples
from influencers.scoring.member_reads import member_statistics_in_ranges
from influencers.scoring.model import DEFAULT_MODEL
from tests.fixtures.scoring import import_demo


@pytest.mark.parametrize("n_ranges", [1, 7])
def test_farm_members_and_their_unrelated_holders_read_in_member_ranges_are_the_whole_workspace_s(
        api, database, n_ranges):
    import_demo(api, creators=120, seed=3)
    # A looser farm rule too: more members judged, both sides of each threshold met.
    loose = DEFAULT_MODEL.with_changes("loose", thresholds={"farm_min_creators": 2, "farm_max_related_share": 0.6})
    with database.transaction(write=False) as session:
        inputs = load_inputs(session, api.workspace_id, id_range=(0, 2**31 - 1))
        samples = read_latest_samples(session, _scope(api.workspace_id, None), inputs.creator_ids)
        by_sql = member_statistics_in_ranges(session, api.workspace_id, samples, CreatorFacts.of(inputs),
                                             [DEFAULT_MODEL, loose], n_ranges)
    for model, got in zip((DEFAULT_MODEL, loose), by_sql):
        expected = member_statistics(inputs, model)
        assert len(expected.farm_member_ids) >= 5 and expected.unrelated_counts.sum() >= 10
        np.testing.assert_array_equal(got.farm_member_ids, expected.farm_member_ids)
        np.testing.assert_array_equal(got.unrelated_creator_ids, expected.unrelated_creator_ids)
        np.testing.assert_array_equal(got.unrelated_counts, expected.unrelated_counts)
        np.testing.assert_array_equal(got.batch_days, expected.batch_days)
    assert len(by_sql[1].farm_member_ids) > 5 * len(by_sql[0].farm_member_ids)
