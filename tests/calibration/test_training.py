"""Training: features read generically from explanations, label checks, folds, fitted and calibrated models."""
import datetime as dt

import numpy as np
import pytest

from influencers.calibration import features, training
from influencers.calibration.training import NotEnoughLabels


def explanation(fake_share, strength=None, extra=None, engagement_z=0.0):
    out = {
        "creator_id": 1, "platform": "instagram", "tier": "micro", "model_version": "default-1",
        "score": {"value": 50.0, "kind": "estimated"},
        "components": [{"name": "authenticity", "value": 0.5, "contribution": 20.0}],
        "authenticity": {"value": 80.0, "kind": "estimated", "flag_factor": 1.0},
        "audience": {"sample_size": 200,
                     "fake_follower_share": {"value": fake_share, "kind": "estimated", "n": 200,
                                             "interval_95": [0.0, 1.0]},
                     "types": {"real": {"value": 1 - fake_share, "kind": "estimated", "n": 200}}},
        "engagement": {"er_followers": {"value": 0.02, "kind": "measured", "robust_z": engagement_z,
                                        "benchmark": {"median": 0.02, "n": 40}}},
        "flags": [] if strength is None else [{"name": "bought_followers", "strength": {"value": strength}}],
        "sample_size": 200, "posts_used": 24, "snapshots": 90,
    }
    if extra:
        out.update(extra)
    return out


def test_features_are_every_measured_value_and_flag_strength_but_not_the_models_outputs():
    rows = [explanation(0.1, extra={"growth": {"farm_overlap": {"value": 0.3, "kind": "measured"}}}),
            explanation(0.4, strength=0.8)]
    matrix = features.FeatureMatrix.from_explanations(rows)
    names = matrix.names
    assert "audience.fake_follower_share" in names
    assert "audience.types.real" in names
    assert "engagement.er_followers" in names and "engagement.er_followers.robust_z" in names
    assert "growth.farm_overlap" in names  # a new signal becomes a feature by itself
    assert "flags.bought_followers.strength" in names
    assert not any(n.startswith(("score", "components", "engagement.er_followers.benchmark")) for n in names)
    # The hand-set conclusion is a feature; a trained model's own authenticity is not.
    assert "authenticity.rule_based" in names and "authenticity.flag_factor" in names
    trained = explanation(0.1)
    trained["authenticity"] = {**trained["authenticity"], "value": 3.0, "rule_based_value": 80.0}
    assert features.explanation_features(trained)["authenticity.rule_based"] == 80.0
    column = names.index("flags.bought_followers.strength")
    assert matrix.values[:, column].tolist() == [0.0, 0.8]  # no flag: strength 0
    assert np.isnan(matrix.values[1, names.index("growth.farm_overlap")])
    # The same features read from new explanations, in the trained order.
    again = features.FeatureMatrix.from_explanations([explanation(0.2)], names=names)
    assert again.names == names and again.values.shape == (1, len(names))


def test_too_few_labels_name_what_is_missing():
    with pytest.raises(NotEnoughLabels) as error:
        training.check_labels(np.array([1] * 19 + [0] * 40))
    assert "fraud" in str(error.value) and "19" in str(error.value) and "20" in str(error.value)
    assert error.value.missing == {"fraud": 1}
    with pytest.raises(NotEnoughLabels) as error:
        training.check_labels(np.zeros(50, dtype=int))
    assert error.value.missing == {"fraud": 20}
    assert "one class" in str(error.value)


def test_heavy_imbalance_is_reported():
    report = training.check_labels(np.array([1] * 20 + [0] * 400))
    assert report["imbalance"]["ratio"] == 20.0
    assert "imbalance" in report["warnings"][0]
    assert training.check_labels(np.array([1] * 40 + [0] * 60))["warnings"] == []


def test_folds_are_stratified_or_time_ordered_when_labels_have_dates():
    y = np.array([1, 0] * 30)
    folds, how = training.make_folds(y, [None] * 60)
    assert how.startswith("stratified")
    assert all(y[test].sum() in (6,) for _, test in folds)
    dates = [dt.date(2026, 1, 1) + dt.timedelta(days=i) for i in range(60)]
    folds, how = training.make_folds(y, dates)
    assert how.startswith("time-ordered")
    for train, test in folds:
        assert max(dates[i] for i in train) <= min(dates[i] for i in test)


def synthetic(n=400, seed=0):
    rng = np.random.RandomState(seed)
    y = (rng.rand(n) < 0.3).astype(int)
    X = np.column_stack([rng.randn(n) + 2.0 * y, rng.randn(n), np.where(rng.rand(n) < 0.1, np.nan, rng.randn(n) - y)])
    return X, y


@pytest.mark.parametrize("kind", ["logistic", "boosted"])
def test_a_fitted_model_is_calibrated_reproducible_and_round_trips_without_pickle(kind):
    X, y = synthetic()
    folds, _ = training.make_folds(y, [None] * len(y))
    names = ["a", "b", "c"]
    fitted = training.fit_final(kind, X, y, names)
    p = fitted.probability(X)
    assert ((p >= 0) & (p <= 1)).all() and p[y == 1].mean() > p[y == 0].mean() + 0.3
    stored = fitted.to_storage()
    assert set(stored) == {"kind", "parameters", "artefact", "artefact_sha256"}
    if kind == "logistic":
        assert stored["artefact"] is None
    again = training.FittedClassifier.from_storage(**stored)
    np.testing.assert_allclose(again.probability(X), p)
    refitted = training.fit_final(kind, X, y, names)  # fixed seeds: the same model again
    assert refitted.parameters == fitted.parameters
    np.testing.assert_array_equal(refitted.probability(X), p)

    contributions = fitted.contributions(X[:5])
    assert contributions.shape == (5, 3)
    if kind == "logistic":  # exact: the log-odds are the intercept plus the contributions
        np.testing.assert_allclose(fitted.decision(X[:5]),
                                   fitted.parameters["intercept"] + contributions.sum(axis=1))
        weights = fitted.parameters["standardised_coefficients"]
        assert weights["a"] > 0 and weights["c"] < 0


def test_training_picks_a_model_by_cross_validated_auc_and_reports_both():
    X, y = synthetic(500)
    outcome = training.train(X, y, [None] * len(y), ["a", "b", "c"])
    report = outcome.report
    assert set(report["cross_validation"]["candidates"]) == {"logistic", "boosted"}
    best = max(report["cross_validation"]["candidates"].items(), key=lambda kv: kv[1]["roc_auc"])
    assert outcome.fitted.kind in ("logistic", "boosted")
    assert report["chosen"] == outcome.fitted.kind
    assert report["cross_validation"]["candidates"][report["chosen"]]["roc_auc"] >= best[1]["roc_auc"] - 0.005
    assert report["labels"] == {"fraud": int(y.sum()), "clean": int((1 - y).sum())}
