"""A trained version in a scoring run: its calibrated fraud probability sets the authenticity.

The run scores as usual with the version's numbers (weights, thresholds...), then reads
the features from the explanations it made (:mod:`influencers.calibration.features`),
and the authenticity becomes ``100 x (1 - calibrated probability of fraud)``; the
composite score is recomputed with it. Each explanation gets a ``fraud_model`` section
(the probability, the model version, each feature's contribution) and its
``authenticity`` says how it was made, keeping the rule-based value beside it.
"""
from __future__ import annotations

import dataclasses

import numpy as np
from sqlalchemy.orm import Session

from influencers.calibration.features import FeatureMatrix
from influencers.calibration.models import TrainedClassifier
from influencers.calibration.training import FittedClassifier, single_threaded
from influencers.scoring.composite import composite_score
from influencers.scoring.score import ScoringResult

TOP_CONTRIBUTIONS = 12


def load_classifier(session: Session, model_id: int) -> FittedClassifier | None:
    """The version's fitted classifier (None for a hand-set version); raises ArtefactRejected
    when a stored artefact fails its checks (sha256, archive, trusted types)."""
    row = session.get(TrainedClassifier, model_id)
    if row is None:
        return None
    return FittedClassifier.from_storage(row.kind, row.parameters, row.artefact, row.artefact_sha256)


def _number(value: float):
    return None if value != value else float(value)


def apply_classifier(result: ScoringResult, classifier: FittedClassifier, version: str
                     ) -> tuple[ScoringResult, list[dict]]:
    """(the result with the classifier's authenticity and score, per creator an explanation patch)."""
    rule_based = []

    def explanations():
        for explanation in result.explanations():
            rule_based.append(explanation["authenticity"])
            yield explanation

    matrix = FeatureMatrix.from_explanations(explanations(), names=classifier.names)
    X = matrix.values
    with single_threaded():
        decision = classifier.decision(X) if len(X) else np.zeros(0)
        contributions = classifier.contributions(X) if len(X) else np.zeros((0, len(classifier.names)))
    calibration = classifier.parameters["calibration"]
    probability = 1.0 / (1.0 + np.exp(np.clip(calibration["a"] * decision + calibration["b"], -500, 500)))

    values = dict(result.components)
    values["authenticity"] = 1.0 - probability
    effective, parts, score = composite_score(values, result.model, result.n_creators)
    adjusted = dataclasses.replace(result, authenticity=100 * (1.0 - probability), components=values,
                                   effective_weights=effective, contributions=parts, score=score)

    threshold = classifier.operating_threshold
    names = classifier.names
    exact = classifier.kind == "logistic"
    patches = []
    for i in range(result.n_creators):
        row = contributions[i]
        order = np.argsort(-np.abs(row))[:TOP_CONTRIBUTIONS]
        section = {
            "version": version,
            "kind": classifier.kind,
            "probability": {"value": float(probability[i]), "kind": "estimated",
                            "description": "calibrated probability that the audience or engagement is inflated"},
            "flagged": bool(probability[i] >= threshold),
            "operating_threshold": threshold,
            "log_odds": float(decision[i]),
            "attribution": classifier.parameters.get("attribution"),
            "contributions": [{"feature": names[j], "value": _number(X[i, j]), "contribution": float(row[j])}
                              for j in order.tolist()],
        }
        if exact:
            section["intercept"] = float(classifier.parameters["intercept"])
            section["other_contributions"] = float(row.sum() - row[order].sum())
        patches.append({
            "fraud_model": section,
            "authenticity": {**rule_based[i], "value": float(100 * (1 - probability[i])),
                             "description": f"100 x (1 - calibrated fraud probability of model {version})",
                             "rule_based_value": rule_based[i]["value"]},
        })
    return adjusted, patches
