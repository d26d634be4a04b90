"""The workspace's active scoring model: the one lookup every reader and writer goes through."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from influencers.db import utcnow
from influencers.scoring.model import DEFAULT_MODEL, PREVIOUS_DEFAULT_VERSIONS, ScoringModel
from influencers.scoring.store import ScoringModelVersion

__all__ = ["active_model", "active_model_record", "active_scoring_model"]


def active_model_record(session: Session, workspace_id: int) -> ScoringModelVersion | None:
    """The workspace's active model version as stored (None before the first one is installed)."""
    return session.scalar(select(ScoringModelVersion).where(
        ScoringModelVersion.workspace_id == workspace_id, ScoringModelVersion.is_active.is_(True)))


def active_model(session: Session, workspace_id: int) -> ScoringModelVersion:
    """The workspace's active model; the shipped default is installed on first use, and
    replaces an earlier shipped default still active (its scores stay stored as history).

    For writers (a scoring run is about to use it); readers that must not write use
    :func:`active_scoring_model`."""
    record = active_model_record(session, workspace_id)
    if record is not None and record.source == "shipped" and record.version in PREVIOUS_DEFAULT_VERSIONS:
        record.is_active = False
        session.flush()
        record = None
    if record is None:
        record = session.scalar(
            select(ScoringModelVersion).where(
                ScoringModelVersion.workspace_id == workspace_id,
                ScoringModelVersion.version == DEFAULT_MODEL.version,
            )
        )
        if record is None:
            record = ScoringModelVersion(
                workspace_id=workspace_id, version=DEFAULT_MODEL.version, source="shipped",
                description="The shipped default model", parameters=DEFAULT_MODEL.to_dict(),
                is_active=True, activated_at=utcnow(),
            )
            session.add(record)
        else:
            record.is_active, record.activated_at = True, utcnow()
        session.flush()
    return record


def active_scoring_model(session: Session, workspace_id: int) -> tuple[ScoringModel, str]:
    """The workspace's active model and its version, read only: the shipped default when
    none is installed yet (nothing is written, so a read request stays a read)."""
    record = active_model_record(session, workspace_id)
    if record is None:
        return DEFAULT_MODEL, DEFAULT_MODEL.version
    return ScoringModel.from_dict(record.parameters), record.version
