"""Saved shortlists: a named, per-workspace list of creators with notes.

A shortlist is versioned like every other editable resource: ``version`` is
bumped by each write (name, notes, entries), the ETag derives from it and
PATCH/DELETE are conditional UPDATE/DELETEs on it.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from influencers.db import Base, utcnow

__all__ = ["Shortlist", "ShortlistEntry"]


class Shortlist(Base):
    __tablename__ = "shortlists"
    __table_args__ = (Index("ix_shortlists_workspace", "workspace_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    entries: Mapped[list[ShortlistEntry]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, lazy="selectin",
        order_by=lambda: [ShortlistEntry.position, ShortlistEntry.creator_id],
    )

    @property
    def creator_ids(self) -> list[int]:
        return [entry.creator_id for entry in self.entries]

    @property
    def creator_count(self) -> int:
        return len(self.entries)


class ShortlistEntry(Base):
    __tablename__ = "shortlist_entries"
    __table_args__ = (Index("ix_shortlist_entries_creator", "creator_id"),)

    shortlist_id: Mapped[int] = mapped_column(ForeignKey("shortlists.id", ondelete="CASCADE"), primary_key=True)
    creator_id: Mapped[int] = mapped_column(ForeignKey("creators.id", ondelete="CASCADE"), primary_key=True)
    # Entries keep the order they were added in (several per request share ``added_at``).
    position: Mapped[int] = mapped_column(Integer, default=0)
    note: Mapped[str | None] = mapped_column(Text)
    added_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
