"""The ROC AUC a comparison's permutation importance scores each shuffled fold with is sklearn's
``roc_auc_score`` to the last bit, so that importances and their order are what sklearn's gives."""
import numpy as np
from sklearn.metrics import roc_auc_score

from influencers.calibration.comparison import roc_auc


def test_roc_auc_is_roc_auc_score_to_the_bit():
    rng = np.random.default_rng(7)
    cases = [(np.array([0, 1]), np.array([0.3, 0.3])), (np.array([1, 0, 0]), np.array([0.9, 0.1, 0.5]))]
    for k in range(100):
        n = int(rng.integers(2, 60))
        y = (rng.random(n) < rng.uniform(0.05, 0.95)).astype(int)
        y[:2] = (0, 1)  # both classes present, as in a fold permutation importance scores
        scores = rng.random(n)
        if k % 2:  # ties: few distinct scores
            scores = np.round(scores * rng.integers(1, 8)) / 7
        cases.append((rng.permutation(y), scores))
    different = [(y.tolist(), s.tolist()) for y, s in cases if roc_auc(y, s) != roc_auc_score(y, s)]
    assert not different, different[:3]
