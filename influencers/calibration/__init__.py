"""Recalibrated scoring: analysts' labels, scoring model versions, trained models and comparisons.

* :mod:`.labels`: analysts' verdicts on creators (the workspace's ground truth);
* :mod:`.versions`: immutable model versions: edit, import, diff, activate, roll back;
* :mod:`.features`: the feature matrix read from the stored score explanations;
* :mod:`.training`: fitting and calibrating scikit-learn models on the labels;
* :mod:`.artefacts`: the stored form of a fitted model (JSON or skops, never pickle);
* :mod:`.comparison`: candidate against active on the same folds, JSON and PNG;
* :mod:`.apply`: a trained version's probabilities and contributions in a scoring run.
"""
