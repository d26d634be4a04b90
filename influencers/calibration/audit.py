"""The calibration audit trail: label and model version events, who made them, when."""
from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from influencers.calibration.models import CalibrationEvent
from influencers.db import utcnow


def record(session: Session, workspace_id: int, object_type: str, object_id: int, action: str,
           key_id: int | None, **detail) -> None:
    session.add(CalibrationEvent(workspace_id=workspace_id, object_type=object_type, object_id=object_id,
                                 action=action, detail=detail, key_id=key_id, at=utcnow()))


def events_select(workspace_id: int, object_type: str | None = None, object_id: int | None = None) -> Select:
    stmt = select(CalibrationEvent).where(CalibrationEvent.workspace_id == workspace_id)
    if object_type is not None:
        stmt = stmt.where(CalibrationEvent.object_type == object_type)
    if object_id is not None:
        stmt = stmt.where(CalibrationEvent.object_id == object_id)
    return stmt.order_by(CalibrationEvent.id)
