"""Labels: analysts' verdicts on creators (``fraud`` with kinds, or ``clean``).

A creator's verdicts are its label history; the newest is current. Creating a
verdict makes it current; deleting the current one makes the newest remaining one
current again (the analyst withdrew a mistaken verdict). Every change is audited.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Select, Text, func, select, update
from sqlalchemy.orm import Session

from influencers.calibration import audit
from influencers.calibration.models import Label
from influencers.creators.models import Creator
from influencers.creators.service import get_creator
from influencers.db import utcnow
from influencers.errors import InvalidInput, NotFound


@dataclass(frozen=True)
class LabelFilters:
    label: str | None = None
    kind: str | None = None
    source: str | None = None
    creator_id: int | None = None
    labelled_after: dt.date | None = None
    labelled_before: dt.date | None = None


def labels_select(workspace_id: int, filters: LabelFilters = LabelFilters()) -> Select:
    """The workspace's current labels with their creators, newest first."""
    stmt = (select(Label, Creator).join(Creator, Creator.id == Label.creator_id)
            .where(Label.workspace_id == workspace_id, Label.is_current.is_(True)))
    if filters.label:
        stmt = stmt.where(Label.label == filters.label)
    if filters.source:
        stmt = stmt.where(Label.source == filters.source)
    if filters.creator_id is not None:
        stmt = stmt.where(Label.creator_id == filters.creator_id)
    if filters.labelled_after:
        stmt = stmt.where(Label.labelled_at >= filters.labelled_after)
    if filters.labelled_before:
        stmt = stmt.where(Label.labelled_at < filters.labelled_before)
    if filters.kind:
        # kinds is a short JSON array of identifiers (checked on the way in), so a quoted
        # substring match is exact.
        stmt = stmt.where(func.cast(Label.kinds, Text).like(f'%"{filters.kind}"%'))
    return stmt.order_by(Label.id.desc())


def history_select(workspace_id: int, creator_id: int) -> Select:
    return (select(Label).where(Label.workspace_id == workspace_id, Label.creator_id == creator_id)
            .order_by(Label.id.desc()))


def get_label(session: Session, workspace_id: int, label_id: int) -> Label:
    label = session.scalar(select(Label).where(Label.id == label_id, Label.workspace_id == workspace_id))
    if label is None:
        raise NotFound(f"No label {label_id} in this workspace.")
    return label


def create_label(session: Session, workspace_id: int, creator_id: int, values: dict, key_id: int | None) -> Label:
    """Adds a verdict as the creator's current one (NotFound unless the creator is in the
    workspace). ``values``: label, kinds, source, labelled_at, note."""
    get_creator(session, workspace_id, creator_id, field="creator_id")
    kinds = list(dict.fromkeys(values.get("kinds") or []))
    if kinds and values["label"] != "fraud":
        raise InvalidInput("kinds", "kinds are only given with a 'fraud' label")
    session.execute(update(Label).where(Label.workspace_id == workspace_id, Label.creator_id == creator_id,
                                        Label.is_current.is_(True)).values(is_current=False))
    label = Label(workspace_id=workspace_id, creator_id=creator_id, label=values["label"], kinds=kinds,
                  source=values.get("source"), labelled_at=values.get("labelled_at") or utcnow().date(),
                  note=values.get("note"), is_current=True, key_id=key_id)
    session.add(label)
    session.flush()
    audit.record(session, workspace_id, "label", label.id, "created", key_id,
                 creator_id=creator_id, label=label.label)
    return label


def delete_label(session: Session, workspace_id: int, label: Label, key_id: int | None) -> None:
    was_current, creator_id = label.is_current, label.creator_id
    audit.record(session, workspace_id, "label", label.id, "deleted", key_id,
                 creator_id=creator_id, label=label.label)
    session.delete(label)
    session.flush()
    if was_current:
        previous = session.scalar(select(Label).where(Label.workspace_id == workspace_id,
                                                      Label.creator_id == creator_id).order_by(Label.id.desc()))
        if previous is not None:
            previous.is_current = True


@dataclass
class LabelSet:
    """The workspace's current labels, aligned arrays (training and comparison read these)."""

    creator_ids: list[int]
    is_fraud: list[int]
    labelled_at: list[dt.date | None]

    @property
    def counts(self) -> dict[str, int]:
        fraud = sum(self.is_fraud)
        return {"fraud": fraud, "clean": len(self.is_fraud) - fraud}


def current_labels(session: Session, workspace_id: int) -> LabelSet:
    rows = session.execute(select(Label.creator_id, Label.label, Label.labelled_at).where(
        Label.workspace_id == workspace_id, Label.is_current.is_(True)).order_by(Label.creator_id)).all()
    return LabelSet([r[0] for r in rows], [int(r[1] == "fraud") for r in rows], [r[2] for r in rows])
