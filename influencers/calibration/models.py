"""Tables of the calibration package: labels, trained classifiers, comparisons, audit events."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from influencers.db import Base, utcnow
from influencers.jobs.models import Job, job_column

LABEL_VALUES = ("fraud", "clean")


class Label(Base):
    """One analyst verdict on a creator. A creator's verdicts are its label history;
    ``is_current`` marks the one in force (the newest)."""

    __tablename__ = "labels"
    __table_args__ = (
        Index("ix_labels_workspace_current", "workspace_id", "is_current", "creator_id"),
        Index("ix_labels_creator", "creator_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    creator_id: Mapped[int] = mapped_column(ForeignKey("creators.id", ondelete="CASCADE"))
    label: Mapped[str] = mapped_column(String(10))
    kinds: Mapped[list] = mapped_column(JSON, default=list)
    source: Mapped[str | None] = mapped_column(String(100))
    labelled_at: Mapped[dt.date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    is_current: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id", ondelete="SET NULL"))


class TrainedClassifier(Base):
    """The fitted part of a trained scoring model version (one per such version).

    ``parameters``: the JSON form (feature list, preprocessing, linear coefficients or
    the boosted model's calibration); ``artefact``: a boosted model's skops file, whose
    sha256 is checked before it is loaded.
    """

    __tablename__ = "trained_classifiers"

    model_id: Mapped[int] = mapped_column(ForeignKey("scoring_models.id", ondelete="CASCADE"), primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))  # logistic | boosted
    parameters: Mapped[dict] = mapped_column(JSON)
    artefact: Mapped[bytes | None] = mapped_column(LargeBinary)
    artefact_sha256: Mapped[str | None] = mapped_column(String(64))
    training: Mapped[dict | None] = mapped_column(JSON)  # what it was trained on, CV results


class ModelComparison(Base):
    """A candidate version evaluated against a baseline on the same folds of the labels. Its
    status, error and creation time are its job's (one row holds them): the job a worker runs
    (``POST /scoring-model-comparisons``), or the one the CLI or a training job runs in place."""

    __tablename__ = "model_comparisons"
    __table_args__ = (Index("ix_model_comparisons_workspace", "workspace_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    candidate_id: Mapped[int] = mapped_column(ForeignKey("scoring_models.id", ondelete="CASCADE"))
    baseline_id: Mapped[int] = mapped_column(ForeignKey("scoring_models.id", ondelete="CASCADE"))
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"))
    result: Mapped[dict | None] = mapped_column(JSON)

    job: Mapped[Job] = relationship(lazy="joined", innerjoin=True)

    status = job_column("status")
    error = job_column("error")
    created_at = job_column("created_at")


class CalibrationEvent(Base):
    """Audit trail of labels and model versions: who did what, when."""

    __tablename__ = "calibration_events"
    __table_args__ = (Index("ix_calibration_events_object", "workspace_id", "object_type", "object_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    object_type: Mapped[str] = mapped_column(String(20))  # label | scoring_model
    object_id: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(20))  # created | deleted | activated | imported | trained
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id", ondelete="SET NULL"))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
