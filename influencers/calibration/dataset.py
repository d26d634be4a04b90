"""The labelled data set of a workspace: labels joined to the current scores' explanations."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from influencers.calibration.features import FeatureMatrix
from influencers.calibration.labels import current_labels
from influencers.calibration.training import MIN_PER_CLASS, NotEnoughLabels, label_counts
from influencers.scoring.store import CreatorScore, CreatorScoreExplanation


@dataclass
class LabelledSet:
    creator_ids: np.ndarray
    y: np.ndarray
    dates: list[dt.date | None]
    explanations: list[dict]
    fraud_score: np.ndarray  # 1 - authenticity / 100 of the current scores
    flagged: np.ndarray      # the current scores raise a rule flag
    model_version: str | None
    unscored: int            # labelled creators without a current score (left out)

    def features(self, names: list[str] | None = None) -> FeatureMatrix:
        return FeatureMatrix.from_explanations(self.explanations, names=names)


def labelled_set(session: Session, workspace_id: int) -> LabelledSet:
    """The labelled creators that have a current score, in creator order. Raises
    NotEnoughLabels (naming the classes short of MIN_PER_CLASS) when too few are left."""
    labels = current_labels(session, workspace_id)
    rows = session.execute(
        select(CreatorScore.creator_id, CreatorScore.authenticity, CreatorScore.flag_bits,
               CreatorScore.model_version, CreatorScoreExplanation.explanation)
        .join(CreatorScoreExplanation, CreatorScoreExplanation.score_id == CreatorScore.id)
        .where(CreatorScore.workspace_id == workspace_id, CreatorScore.is_current.is_(True),
               CreatorScore.creator_id.in_(select_current_label_creators(workspace_id)))
        .order_by(CreatorScore.creator_id)).all()
    by_creator = {r[0]: r for r in rows}
    label_of = dict(zip(labels.creator_ids, zip(labels.is_fraud, labels.labelled_at)))
    ids = [cid for cid in labels.creator_ids if cid in by_creator]
    y = np.array([label_of[cid][0] for cid in ids], dtype=int)
    counts = label_counts(y)
    missing = {name: MIN_PER_CLASS - n for name, n in counts.items() if n < MIN_PER_CLASS}
    if missing:
        raise NotEnoughLabels(counts, missing)
    return LabelledSet(
        creator_ids=np.array(ids, dtype=np.int64), y=y, dates=[label_of[cid][1] for cid in ids],
        explanations=[by_creator[cid][4] for cid in ids],
        fraud_score=np.array([1 - by_creator[cid][1] / 100 for cid in ids]),
        flagged=np.array([by_creator[cid][2] != 0 for cid in ids]),
        model_version=by_creator[ids[0]][3] if ids else None,
        unscored=len(labels.creator_ids) - len(ids))


def select_current_label_creators(workspace_id: int):
    from influencers.calibration.models import Label

    return select(Label.creator_id).where(Label.workspace_id == workspace_id, Label.is_current.is_(True))
