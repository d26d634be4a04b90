"""A run's stored score rows and explanations (bulk-inserted, JSON pre-encoded) read back
through the ORM as exactly what the scoring computed."""
import json
import math

import numpy as np
from sqlalchemy import select

from influencers.graph.service import scoring_graph_signals
from influencers.scoring.active_model import active_model
from influencers.scoring.loader import load_inputs
from influencers.scoring.model import ScoringModel
from influencers.scoring.score import score_creators
from influencers.scoring.store import FLAG_BITS, CreatorScore, CreatorScoreExplanation
from tests.fixtures.scoring import import_demo, run_scoring


def _same(stored, computed):
    if computed is None or (isinstance(computed, float) and math.isnan(computed)):
        return stored is None
    return stored == computed


def test_stored_scores_and_explanations_read_back_as_computed(api, database):
    import_demo(api, creators=40, seed=5)
    run = run_scoring(api)
    with database.transaction(write=False) as session:
        inputs = load_inputs(session, api.workspace_id)
        centrality, pods = scoring_graph_signals(session, api.workspace_id, inputs.creator_ids, inputs.platform)
        model = ScoringModel.from_dict(active_model(session, api.workspace_id).parameters)
        rows = session.execute(
            select(CreatorScore, CreatorScoreExplanation.explanation)
            .join(CreatorScoreExplanation, CreatorScoreExplanation.score_id == CreatorScore.id)
            .where(CreatorScore.run_id == run["id"])).all()
    result = score_creators(inputs, model, centrality=centrality, pods=pods)
    assert len(rows) == result.n_creators == 40
    position = {int(cid): i for i, cid in enumerate(result.creator_ids)}
    flagged = 0
    for score, explanation in rows:
        i = position[score.creator_id]
        # The documented shape, value for value (json round trip: tuples become lists).
        assert explanation == json.loads(json.dumps(result.explanation(i), allow_nan=False))
        assert score.flags == result.flag_names(i)
        assert score.flag_bits == sum(FLAG_BITS[name] for name in score.flags)
        flagged += bool(score.flags)
        assert score.is_current is True and score.model_version == model.version
        assert score.sample_size == int(result.sample_size[i])
        assert _same(score.score, float(result.score[i]))
        assert _same(score.fake_follower_share_low, float(result.fake_follower_share_low[i]))
        assert _same(score.engagement_rate_views, float(result.metrics["er_views"][i]))
        assert _same(score.centrality, float(result.components["centrality"][i]))
        reach = result.estimated_reach[i]
        assert score.estimated_reach == (None if np.isnan(reach) else int(round(reach)))
        as_of = result.as_of[i]
        assert score.as_of == (None if np.isnat(as_of) else as_of.astype("datetime64[D]").item())
    assert flagged  # the demo data set has flagged creators
