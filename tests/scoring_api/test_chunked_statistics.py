"""A chunked run's workspace-level statistics, computed by the database, are those of the whole
workspace's inputs computed in memory."""
import numpy as np

from influencers.scoring.audience_peers import CreatorFacts, member_statistics
from influencers.scoring.loader import _scope, load_inputs, read_latest_samples
from influencers.scoring.member_reads import member_statistics_by_sql
from influencers.scoring.model import DEFAULT_MODEL
from tests.fixtures.scoring import import_demo


def test_farm_members_and_their_unrelated_holders_by_sql_are_the_in_memory_ones(api, database):
    import_demo(api, creators=120, seed=3)
    # A looser farm rule too: more members judged, both sides of each threshold met.
    loose = DEFAULT_MODEL.with_changes("loose", thresholds={"farm_min_creators": 2, "farm_max_related_share": 0.6})
    with database.transaction(write=False) as session:
        inputs = load_inputs(session, api.workspace_id, id_range=(0, 2**31 - 1))
        samples = read_latest_samples(session, _scope(api.workspace_id, None), inputs.creator_ids)
        by_sql = member_statistics_by_sql(session, api.workspace_id, samples, CreatorFacts.of(inputs),
                                          [DEFAULT_MODEL, loose])
    for model, got in zip((DEFAULT_MODEL, loose), by_sql):
        expected = member_statistics(inputs, model)
        assert len(expected.farm_member_ids) >= 5 and expected.unrelated_counts.sum() >= 10
        np.testing.assert_array_equal(got.farm_member_ids, expected.farm_member_ids)
        np.testing.assert_array_equal(got.unrelated_creator_ids, expected.unrelated_creator_ids)
        np.testing.assert_array_equal(got.unrelated_counts, expected.unrelated_counts)
        np.testing.assert_array_equal(got.batch_days, expected.batch_days)
    assert len(by_sql[1].farm_member_ids) > 5 * len(by_sql[0].farm_member_ids)
