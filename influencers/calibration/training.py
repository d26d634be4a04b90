"""Fitting scoring models on a workspace's labels (scikit-learn), stored without pickle.

Two candidates are fitted on the same folds and the better by cross-validated ROC AUC
is kept (the linear one unless the boosted one is ahead by more than
:data:`PREFER_LINEAR_MARGIN`: its weights can be read):

* ``logistic``: L2-regularised logistic regression on standardised ``asinh`` features
  (``asinh`` is about linear near 0 and logarithmic for large counts; missing values
  take the labelled creators' median). Its standardised coefficients read as weights
  and each feature's contribution to a creator's log-odds is exact:
  ``coefficient x standardised value``, and the log-odds are the intercept plus the
  contributions.
* ``boosted``: ``HistGradientBoostingClassifier`` on the raw features (missing values
  handled natively). A feature's contribution is an occlusion attribution: the change
  in the model's log-odds when that feature alone is set to the labelled creators'
  median (the reference creator). These do not sum to the log-odds.

Probabilities are calibrated with ``CalibratedClassifierCV(method="sigmoid",
ensemble=False)``: Platt scaling fitted on out-of-fold predictions of stratified folds,
then the model refitted on every label. (A model calibrated on the data it was fitted
on, as ``FrozenEstimator`` with the same data would do, is overconfident.) The
calibration is two numbers stored as JSON: ``p = 1 / (1 + exp(a x log-odds + b))``.

Fixed seeds everywhere: the same labels give the same model. Folds are stratified,
or time-ordered (expanding window: train on the earlier labels, test on the next block)
when the labels carry dates spanning several days.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold
from threadpoolctl import threadpool_limits

from influencers.calibration import artefacts
from influencers.errors import InvalidInput

MIN_PER_CLASS = 20
IMBALANCE_RATIO = 5.0  # majority / minority at or above this is reported
N_SPLITS = 5
SEED = 0
PREFER_LINEAR_MARGIN = 0.005
OPERATING_THRESHOLD = 0.5
KINDS = ("logistic", "boosted")
LOGISTIC_PARAMETERS = {"C": 1.0, "max_iter": 5000}
BOOSTED_PARAMETERS = {"max_iter": 100, "learning_rate": 0.08, "max_leaf_nodes": 15, "min_samples_leaf": 10,
                      "l2_regularization": 1.0, "early_stopping": False, "random_state": SEED}
BOOSTED_ATTRIBUTION = ("occlusion: the change in the model's log-odds when this feature alone is set to the "
                       "labelled creators' median (contributions do not sum to the log-odds)")
LINEAR_ATTRIBUTION = "exact: coefficient x standardised value; log-odds = intercept + sum of contributions"


def single_threaded():
    """Native thread pools (OpenMP of the boosted model, BLAS) limited to one thread: on a
    shared or busy machine OpenMP's spinning threads made a fit over ten times slower."""
    return threadpool_limits(limits=1)


class NotEnoughLabels(InvalidInput):
    """Too few labels to train or compare: ``missing`` is {class: labels still needed}; the
    fields (in ``labels``) say per class how many there are and how many more are needed."""

    def __init__(self, counts: dict[str, int], missing: dict[str, int]):
        self.counts, self.missing = counts, missing
        parts = [f"{name}: {counts[name]} of {MIN_PER_CLASS} needed" for name in missing]
        one_class = " (the labels have one class only)" if min(counts.values()) == 0 else ""
        super().__init__(
            message=f"not enough labels to train: at least {MIN_PER_CLASS} per class are needed; "
                    + "; ".join(parts) + one_class,
            fields={name: [f"{counts[name]} labelled and scored; {n} more needed"] for name, n in missing.items()},
            location="labels")


def label_counts(y: np.ndarray) -> dict[str, int]:
    fraud = int(np.sum(y))
    return {"fraud": fraud, "clean": int(len(y) - fraud)}


def check_labels(y: np.ndarray) -> dict:
    """Raises :class:`NotEnoughLabels`, else the labels' report (counts, imbalance, warnings)."""
    counts = label_counts(y)
    missing = {name: MIN_PER_CLASS - n for name, n in counts.items() if n < MIN_PER_CLASS}
    if missing:
        raise NotEnoughLabels(counts, missing)
    minority = min(counts, key=counts.get)
    ratio = round(max(counts.values()) / counts[minority], 2)
    warnings = []
    if ratio >= IMBALANCE_RATIO:
        warnings.append(f"heavy class imbalance: {ratio} {'clean' if minority == 'fraud' else 'fraud'} labels "
                        f"per {minority} label; PR AUC and precision at k say more than ROC AUC here")
    return {"labels": counts, "imbalance": {"ratio": ratio, "minority": minority}, "warnings": warnings}


def make_folds(y: np.ndarray, dates: Sequence[dt.date | None], n_splits: int = N_SPLITS):
    """(folds as (train, test) index arrays, how they were made)."""
    y = np.asarray(y)
    if all(d is not None for d in dates) and len(set(dates)) > 1:
        order = np.array(sorted(range(len(y)), key=lambda i: (dates[i], i)))
        blocks = np.array_split(order, n_splits + 1)
        folds = [(np.sort(np.concatenate(blocks[:k])), np.sort(blocks[k])) for k in range(1, n_splits + 1)]
        if all(0 < y[test].sum() < len(test) and 0 < y[train].sum() < len(train) for train, test in folds):
            return folds, f"time-ordered: {n_splits} expanding windows by labelled_at"
    splitter = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=SEED)
    return list(splitter.split(np.zeros(len(y)), y)), f"stratified: {n_splits} shuffled folds (seed {SEED})"


def _calibration_folds():
    return StratifiedKFold(n_splits=N_SPLITS, shuffle=True, random_state=SEED)


@dataclass
class Standardiser:
    """asinh, median imputation, standardisation (the logistic model's input)."""

    medians: np.ndarray
    means: np.ndarray
    scales: np.ndarray

    @classmethod
    def fit(cls, X: np.ndarray) -> Standardiser:
        T = np.arcsinh(X)
        with np.errstate(all="ignore"):
            medians = np.nanmedian(T, axis=0) if len(T) else np.zeros(X.shape[1])
        medians = np.where(np.isnan(medians), 0.0, medians)
        T = np.where(np.isnan(T), medians, T)
        means, scales = T.mean(axis=0), T.std(axis=0)
        return cls(medians, means, np.where(scales > 1e-12, scales, 1.0))

    def transform(self, X: np.ndarray) -> np.ndarray:
        T = np.arcsinh(X)
        T = np.where(np.isnan(T), self.medians, T)
        return (T - self.means) / self.scales


def _sigmoid(f: np.ndarray, a: float, b: float) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(np.clip(a * f + b, -500, 500)))


class FittedClassifier:
    """A fitted, calibrated model: ``decision`` (log-odds), ``probability``, ``contributions``."""

    def __init__(self, kind: str, parameters: dict, boosted: HistGradientBoostingClassifier | None = None,
                 artefact: bytes | None = None, artefact_sha256: str | None = None):
        self.kind, self.parameters = kind, parameters
        self.names: list[str] = list(parameters["features"])
        self.boosted, self.artefact, self.artefact_sha256 = boosted, artefact, artefact_sha256
        if kind == "logistic":
            self.standardiser = Standardiser(*(np.asarray(parameters[k], float) for k in ("medians", "means",
                                                                                          "scales")))
            self.coefficients = np.asarray(parameters["coefficients"], float)
        else:
            self.reference = np.asarray(parameters["reference"], float)

    @property
    def operating_threshold(self) -> float:
        return float(self.parameters.get("operating_threshold", OPERATING_THRESHOLD))

    def decision(self, X: np.ndarray) -> np.ndarray:
        if self.kind == "logistic":
            return self.standardiser.transform(X) @ self.coefficients + self.parameters["intercept"]
        return self.boosted.decision_function(X)

    def probability(self, X: np.ndarray) -> np.ndarray:
        calibration = self.parameters["calibration"]
        return _sigmoid(self.decision(X), calibration["a"], calibration["b"])

    def contributions(self, X: np.ndarray) -> np.ndarray:
        """Per creator and feature, the feature's contribution to the log-odds (see the module)."""
        if self.kind == "logistic":
            return self.standardiser.transform(X) * self.coefficients
        base = self.decision(X)
        out = np.empty(X.shape)
        for j in range(X.shape[1]):
            occluded = X.copy()
            occluded[:, j] = self.reference[j]
            out[:, j] = base - self.decision(occluded)
        return out

    def to_storage(self) -> dict:
        return {"kind": self.kind, "parameters": self.parameters, "artefact": self.artefact,
                "artefact_sha256": self.artefact_sha256}

    @classmethod
    def from_storage(cls, kind: str, parameters: dict, artefact: bytes | None = None,
                     artefact_sha256: str | None = None) -> FittedClassifier:
        """Raises :class:`~influencers.calibration.artefacts.ArtefactRejected` for a boosted
        model whose artefact is missing, changed or not a trusted skops file."""
        if kind == "logistic":
            return cls(kind, parameters)
        if kind != "boosted":
            raise ValueError(f"unknown classifier kind {kind!r}")
        if artefact is None or artefact_sha256 is None:
            raise artefacts.ArtefactRejected("a boosted model needs its skops artefact and its sha256")
        model = artefacts.load_boosted(artefact, artefact_sha256)
        if model.n_features_in_ != len(parameters["features"]):
            raise artefacts.ArtefactRejected(
                f"the artefact takes {model.n_features_in_} features, the document lists {len(parameters['features'])}")
        return cls(kind, parameters, model, artefact, artefact_sha256)


def _without_empty_columns(X: np.ndarray) -> np.ndarray:
    """``X`` with the columns that have no value at all set to 0: the boosted model's binning
    fails on a column without one value (a signal none of these creators has)."""
    empty = np.isnan(X).all(axis=0)
    if not empty.any():
        return X
    X = X.copy()
    X[:, empty] = 0.0
    return X


def _base_estimator(kind: str):
    if kind == "logistic":
        return LogisticRegression(**LOGISTIC_PARAMETERS)
    return HistGradientBoostingClassifier(**BOOSTED_PARAMETERS)


def fit_final(kind: str, X: np.ndarray, y: np.ndarray, names: Sequence[str]) -> FittedClassifier:
    """Fits ``kind`` on every label and calibrates it on out-of-fold predictions."""
    with single_threaded():
        return _fit_final(kind, X, y, names)


def _fit_final(kind: str, X: np.ndarray, y: np.ndarray, names: Sequence[str]) -> FittedClassifier:
    y = np.asarray(y).astype(int)
    calibrated = CalibratedClassifierCV(_base_estimator(kind), method="sigmoid", cv=_calibration_folds(),
                                        ensemble=False)
    names = list(names)
    if kind == "logistic":
        standardiser = Standardiser.fit(X)
        calibrated.fit(standardiser.transform(X), y)
    else:
        calibrated.fit(_without_empty_columns(X), y)
    fitted = calibrated.calibrated_classifiers_[0]
    estimator, sigmoid = fitted.estimator, fitted.calibrators[0]
    common = {"features": names, "calibration": {"method": "sigmoid", "a": float(sigmoid.a_), "b": float(sigmoid.b_)},
              "operating_threshold": OPERATING_THRESHOLD}
    if kind == "logistic":
        coefficients = estimator.coef_[0]
        parameters = {**common, "transform": "asinh, median-imputed, standardised",
                      "medians": standardiser.medians.tolist(), "means": standardiser.means.tolist(),
                      "scales": standardiser.scales.tolist(), "coefficients": coefficients.tolist(),
                      "intercept": float(estimator.intercept_[0]),
                      "standardised_coefficients": dict(zip(names, map(float, coefficients))),
                      "hyperparameters": LOGISTIC_PARAMETERS, "attribution": LINEAR_ATTRIBUTION}
        return FittedClassifier(kind, parameters)
    with np.errstate(all="ignore"):
        reference = np.nanmedian(X, axis=0)
    parameters = {**common, "reference": np.where(np.isnan(reference), 0.0, reference).tolist(),
                  "hyperparameters": {k: v for k, v in BOOSTED_PARAMETERS.items()}, "attribution": BOOSTED_ATTRIBUTION}
    data, digest = artefacts.dump_boosted(estimator)
    return FittedClassifier(kind, parameters, estimator, data, digest)


def out_of_fold_decisions(kind: str, X: np.ndarray, y: np.ndarray, folds) -> np.ndarray:
    """Uncalibrated log-odds of each label from the model fitted without its fold (nan: in no test fold)."""
    out = np.full(len(y), np.nan)
    for train, test in folds:
        if kind == "logistic":
            standardiser = Standardiser.fit(X[train])
            model = _base_estimator(kind).fit(standardiser.transform(X[train]), y[train])
            out[test] = model.decision_function(standardiser.transform(X[test]))
        else:
            out[test] = _base_estimator(kind).fit(_without_empty_columns(X[train]), y[train]).decision_function(X[test])
    return out


def fold_aucs(y: np.ndarray, scores: np.ndarray, folds) -> list[float | None]:
    return [float(roc_auc_score(y[test], scores[test])) if 0 < y[test].sum() < len(test) else None
            for _, test in folds]


def pooled_auc(y: np.ndarray, scores: np.ndarray) -> float:
    covered = ~np.isnan(scores)
    return float(roc_auc_score(y[covered], scores[covered]))


@dataclass
class TrainingOutcome:
    fitted: FittedClassifier
    report: dict


def train(X: np.ndarray, y: np.ndarray, dates: Sequence[dt.date | None], names: Sequence[str]) -> TrainingOutcome:
    """Checks the labels, picks a model by cross-validated ROC AUC, fits and calibrates it."""
    with single_threaded():
        return _train(X, y, dates, names)


def _train(X: np.ndarray, y: np.ndarray, dates: Sequence[dt.date | None], names: Sequence[str]) -> TrainingOutcome:
    y = np.asarray(y).astype(int)
    report = check_labels(y)
    folds, how = make_folds(y, dates)
    candidates = {}
    for kind in KINDS:
        scores = out_of_fold_decisions(kind, X, y, folds)
        candidates[kind] = {"roc_auc": round(pooled_auc(y, scores), 4),
                            "fold_roc_auc": [None if a is None else round(a, 4) for a in fold_aucs(y, scores, folds)]}
    chosen = ("boosted" if candidates["boosted"]["roc_auc"] > candidates["logistic"]["roc_auc"] + PREFER_LINEAR_MARGIN
              else "logistic")
    fitted = fit_final(chosen, X, y, names)
    report.update(
        chosen=chosen, features=list(names),
        cross_validation={"folds": how, "n_splits": len(folds), "metric": "ROC AUC of out-of-fold log-odds",
                          "candidates": candidates,
                          "rule": f"logistic unless boosted is ahead by more than {PREFER_LINEAR_MARGIN}"},
        calibration="sigmoid (Platt) on out-of-fold predictions of 5 stratified folds; "
                    "CalibratedClassifierCV(ensemble=False)",
    )
    return TrainingOutcome(fitted, report)
