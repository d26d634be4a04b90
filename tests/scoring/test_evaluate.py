"""The scores against the demo generator's planted fraud (no database)."""
from __future__ import annotations

import pytest

from influencers.demo import generator


@pytest.mark.slow
def test_evaluation_on_a_small_generated_set():
    from influencers.evaluation import evaluate

    report = evaluate(generator.DemoConfig(creators=400, seed=5))
    assert report["creators"] == 400 and report["fraud_creators"] > 50
    assert report["auc_overall"] >= 0.9
    assert all(auc is None or auc >= 0.85 for auc in report["auc_by_type"].values()), report["auc_by_type"]
    assert report["spearman_fake_share"] >= 0.6
    assert report["top50_precision"] >= 0.9
