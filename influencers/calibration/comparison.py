"""Comparing a candidate version with a baseline (usually the active one) on the same folds.

Each version gets one fraud score per labelled creator, out of fold:

* a trained version is refitted (same kind, same features, same calibration) on each
  fold's training labels and scores that fold's test labels: its calibrated probability;
* a hand-set version has nothing to fit: its score is ``1 - authenticity / 100`` under
  its own numbers (the stored current scores when they are that version's, else the
  workspace scored in memory with it), and its flag is any rule-based fraud flag.

Metrics over the creators in some test fold: ROC AUC (also per fold), PR AUC (average
precision), Brier score, flag precision and recall at the operating threshold,
precision at k, and for trained versions permutation importance (drop in ROC AUC when
a feature's values are shuffled within a test fold, averaged over folds and repeats).
"""
from __future__ import annotations

import io

import numpy as np
from sklearn.inspection import permutation_importance
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score
from sqlalchemy.orm import Session

from influencers.calibration.apply import load_classifier
from influencers.calibration.dataset import LabelledSet, labelled_set
from influencers.calibration.training import (
    SEED,
    FittedClassifier,
    fit_final,
    fold_aucs,
    make_folds,
    single_threaded,
)
from influencers.errors import Conflict, NotFound
from influencers.scoring.model import FLAGS, ScoringModel
from influencers.scoring.store import ScoringModelVersion

PRECISION_AT = (10, 25, 50, 100)
PERMUTATION_REPEATS = 3
TOP_IMPORTANCES = 15


class _Scorer:
    """What permutation_importance needs of a fold's model: a fit method and its scores."""

    def __init__(self, fitted: FittedClassifier):
        self.fitted = fitted

    def fit(self, *_args):
        return self


def roc_auc(y: np.ndarray, scores: np.ndarray) -> float:
    """The ROC AUC of 0/1 labels ``y`` (both present) ranked by ``scores``: what ``roc_auc_score``
    returns, to the last bit, computed the way it computes it (the trapezoid under the ROC curve
    through the distinct thresholds, collinear points dropped), without its checks of its inputs,
    which cost many times the computation on a fold's few dozen creators. Permutation importance
    calls it for every feature, repeat and fold."""
    order = np.argsort(scores, kind="stable")[::-1]
    ranked_scores, ranked_y = scores[order], np.asarray(y, dtype=np.float64)[order]
    thresholds = np.r_[np.flatnonzero(np.diff(ranked_scores)), len(ranked_y) - 1]
    tps = np.cumsum(ranked_y)[thresholds]
    fps = 1 + thresholds - tps
    if len(fps) > 2:
        kept = np.r_[True, np.logical_or(np.diff(fps, 2), np.diff(tps, 2)), True]
        fps, tps = fps[kept], tps[kept]
    fps, tps = np.r_[0.0, fps], np.r_[0.0, tps]
    return float(np.trapezoid(tps / tps[-1], fps / fps[-1]))


def _auc_scorer(estimator, X, y):
    return roc_auc(y, estimator.fitted.probability(X))


def hand_set_scores(session: Session, workspace_id: int, record: ScoringModelVersion, data: LabelledSet
                    ) -> tuple[np.ndarray, np.ndarray, str]:
    """(fraud score, flagged, where from) of a hand-set version for the labelled creators."""
    if data.model_version == record.version:
        return data.fraud_score, data.flagged, "stored current scores"
    from influencers.graph.service import scoring_graph_signals
    from influencers.scoring.loader import load_inputs
    from influencers.scoring.score import score_creators

    model = ScoringModel.from_dict(record.parameters)
    inputs = load_inputs(session, workspace_id)
    centrality, pods = scoring_graph_signals(session, workspace_id, inputs.creator_ids, inputs.platform)
    result = score_creators(inputs, model, centrality=centrality, pods=pods)
    position = np.searchsorted(result.creator_ids, data.creator_ids)
    flagged = np.zeros(result.n_creators, dtype=bool)
    for name in FLAGS:
        flagged |= np.asarray(result.flags[name].flagged, dtype=bool)
    return 1 - np.asarray(result.authenticity)[position] / 100, flagged[position], "scored in memory"


def trained_scores(fitted: FittedClassifier, data: LabelledSet, folds) -> tuple[np.ndarray, list]:
    """Out-of-fold calibrated probabilities and per-fold permutation importances."""
    X = data.features(fitted.names).values
    scores = np.full(len(data.y), np.nan)
    importances = []
    for train, test in folds:
        fold_model = fit_final(fitted.kind, X[train], data.y[train], fitted.names)
        scores[test] = fold_model.probability(X[test])
        if 0 < data.y[test].sum() < len(test):
            result = permutation_importance(_Scorer(fold_model), X[test], data.y[test], scoring=_auc_scorer,
                                            n_repeats=PERMUTATION_REPEATS, random_state=SEED)
            importances.append(result.importances_mean)
    return scores, importances


def metrics(y: np.ndarray, scores: np.ndarray, flagged: np.ndarray, folds) -> dict:
    covered = ~np.isnan(scores)
    y_c, s_c, f_c = y[covered], scores[covered], flagged[covered]
    order = np.argsort(-s_c, kind="stable")
    tp = int((f_c & (y_c == 1)).sum())
    return {
        "n": int(covered.sum()), "fraud": int(y_c.sum()),
        "roc_auc": round(float(roc_auc_score(y_c, s_c)), 4),
        "fold_roc_auc": [None if a is None else round(a, 4) for a in fold_aucs(y, np.nan_to_num(scores), folds)],
        "pr_auc": round(float(average_precision_score(y_c, s_c)), 4),
        "brier": round(float(brier_score_loss(y_c, np.clip(s_c, 0, 1))), 4),
        "flag_precision": None if not f_c.any() else round(tp / int(f_c.sum()), 4),
        "flag_recall": None if not y_c.any() else round(tp / int(y_c.sum()), 4),
        "flagged": int(f_c.sum()),
        "precision_at_k": {str(k): round(float(y_c[order[:k]].mean()), 4) for k in PRECISION_AT if k <= len(y_c)},
    }


def evaluate_version(session: Session, workspace_id: int, record: ScoringModelVersion, data: LabelledSet,
                     folds) -> dict:
    fitted = load_classifier(session, record.id)
    if fitted is None:
        scores, flagged, source = hand_set_scores(session, workspace_id, record, data)
        covered = np.zeros(len(data.y), dtype=bool)
        for _, test in folds:
            covered[test] = True
        scores = np.where(covered, scores, np.nan)
        out = {"version": record.version, "model_id": record.id, "kind": "hand-set",
               "score": "1 - authenticity / 100 (" + source + ")", "operating_threshold": "any fraud flag",
               "metrics": metrics(data.y, scores, flagged, folds),
               "permutation_importance": None,
               "permutation_importance_note": "a hand-set version is not fitted on the features"}
    else:
        scores, importances = trained_scores(fitted, data, folds)
        flagged = np.nan_to_num(scores) >= fitted.operating_threshold
        mean = np.mean(importances, axis=0) if importances else np.zeros(len(fitted.names))
        top = np.argsort(-mean)[:TOP_IMPORTANCES]
        out = {"version": record.version, "model_id": record.id, "kind": fitted.kind,
               "score": "calibrated fraud probability, refitted out of fold",
               "operating_threshold": fitted.operating_threshold,
               "metrics": metrics(data.y, scores, flagged, folds),
               "permutation_importance": [{"feature": fitted.names[j], "roc_auc_drop": round(float(mean[j]), 5)}
                                          for j in top.tolist()]}
    out["scores"] = [None if s != s else round(float(s), 6) for s in scores.tolist()]
    return out


def compare(session: Session, workspace_id: int, candidate: ScoringModelVersion, baseline: ScoringModelVersion
            ) -> dict:
    """The comparison document (JSON): both versions' metrics on the same folds, plus the
    labels and out-of-fold scores the pictures are drawn from."""
    data = labelled_set(session, workspace_id)
    folds, how = make_folds(data.y, data.dates)
    with single_threaded():
        candidate_side = evaluate_version(session, workspace_id, candidate, data, folds)
        baseline_side = evaluate_version(session, workspace_id, baseline, data, folds)
    return {
        "folds": how, "labels": {"fraud": int(data.y.sum()), "clean": int((1 - data.y).sum())},
        "unscored_labelled_creators": data.unscored,
        "candidate": candidate_side,
        "baseline": baseline_side,
        "y": data.y.tolist(),
    }


def summary(document: dict) -> dict:
    """The comparison without the per-creator arrays (what the API and the CLI show)."""
    out = {k: v for k, v in document.items() if k != "y"}
    for side in ("candidate", "baseline"):
        out[side] = {k: v for k, v in document[side].items() if k != "scores"}
    return out


def table(document: dict) -> str:
    """A plain-text table of the headline metrics, candidate against baseline."""
    rows = [("metric", document["candidate"]["version"], document["baseline"]["version"])]
    c, b = document["candidate"]["metrics"], document["baseline"]["metrics"]
    for key in ("roc_auc", "pr_auc", "brier", "flag_precision", "flag_recall"):
        rows.append((key, c[key], b[key]))
    for k in c["precision_at_k"]:
        rows.append((f"precision_at_{k}", c["precision_at_k"][k], b["precision_at_k"].get(k)))
    width = [max(len(str(r[i])) for r in rows) for i in range(3)]
    return "\n".join("  ".join(str(v).ljust(width[i]) for i, v in enumerate(r)) for r in rows)


PLOTS = ("roc", "reliability", "distributions")
PLOT_TITLES = {"roc": "ROC curves of both versions", "reliability": "reliability diagram",
               "distributions": "score distributions by label"}


def plot(document: dict, name: str) -> bytes:
    """One picture of the comparison as PNG bytes (matplotlib, Agg backend)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from sklearn.calibration import calibration_curve
    from sklearn.metrics import roc_curve

    y = np.asarray(document["y"])
    sides = [(document[s]["version"], np.array([np.nan if v is None else v for v in document[s]["scores"]]))
             for s in ("candidate", "baseline")]
    if name not in PLOTS:
        raise KeyError(name)
    figure = Figure(figsize=(6.4, 4.8) if name != "distributions" else (10, 4), dpi=100)
    if name == "roc":
        axes = figure.subplots()
        for version, scores in sides:
            ok = ~np.isnan(scores)
            fpr, tpr, _ = roc_curve(y[ok], scores[ok])
            axes.plot(fpr, tpr, label=f"{version} (AUC {roc_auc_score(y[ok], scores[ok]):.3f})")
        axes.plot([0, 1], [0, 1], linestyle=":", color="grey")
        axes.set(xlabel="false positive rate", ylabel="true positive rate", title="ROC, out-of-fold")
        axes.legend(loc="lower right")
    elif name == "reliability":
        axes = figure.subplots()
        for version, scores in sides:
            ok = ~np.isnan(scores)
            observed, predicted = calibration_curve(y[ok], np.clip(scores[ok], 0, 1), n_bins=10, strategy="quantile")
            axes.plot(predicted, observed, marker="o", label=version)
        axes.plot([0, 1], [0, 1], linestyle=":", color="grey", label="perfectly calibrated")
        axes.set(xlabel="predicted fraud probability (score)", ylabel="observed share of fraud",
                 title="Reliability diagram")
        axes.legend(loc="upper left")
    else:
        for axes, (version, scores) in zip(figure.subplots(1, 2), sides):
            ok = ~np.isnan(scores)
            bins = np.linspace(0, 1, 21)
            axes.hist(np.clip(scores[ok & (y == 0)], 0, 1), bins=bins, alpha=0.6, label="clean")
            axes.hist(np.clip(scores[ok & (y == 1)], 0, 1), bins=bins, alpha=0.6, label="fraud")
            axes.set(title=version, xlabel="fraud score", ylabel="labelled creators")
            axes.legend()
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def comparisons_select(workspace_id: int):
    from sqlalchemy import select

    from influencers.calibration.models import ModelComparison

    return select(ModelComparison).where(ModelComparison.workspace_id == workspace_id).order_by(
        ModelComparison.id.desc())


def get_comparison(session: Session, workspace_id: int, comparison_id: int):
    from influencers.calibration.models import ModelComparison

    row = session.get(ModelComparison, comparison_id)
    if row is None or row.workspace_id != workspace_id:
        raise NotFound(f"No comparison {comparison_id} in this workspace.")
    return row


def comparison_plot(row, name: str) -> bytes:
    """One picture of a stored comparison (PNG); Conflict until the comparison has succeeded."""
    if row.status != "succeeded":
        raise Conflict(f"Comparison {row.id} is {row.status}: its pictures exist once it succeeds.")
    return plot(row.result, name)
