"""What an import did: :class:`ImportReport`."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from influencers.imports.records import RECORD_TYPES

#: Kinds of stored rows reported in :attr:`ImportReport.stored`.
KINDS: tuple[str, ...] = ("creator", "post", "snapshot", "audience", "member", "edge", "label")


@dataclass
class ImportReport:
    """What an import did (``dataclasses.asdict`` or ``to_dict()`` for JSON).

    Invariant: ``lines_read == blank_lines + accepted + rejected_count``.
    """

    workspace_id: int
    started_at: dt.datetime
    finished_at: dt.datetime | None = None
    lines_read: int = 0
    bytes_read: int = 0
    blank_lines: int = 0
    #: valid lines stored, per record type
    records: dict[str, int] = field(default_factory=lambda: dict.fromkeys(RECORD_TYPES, 0))
    #: rows per kind: {"creator": {"inserted": n, "updated": n, "unchanged": n}, ...}
    stored: dict[str, dict[str, int]] = field(
        default_factory=lambda: {k: {"inserted": 0, "updated": 0, "unchanged": 0} for k in KINDS}
    )
    #: records applied after the last line because their creator came later in the file
    deferred: int = 0
    #: the first ``max_rejections`` rejected lines (lowest line numbers), sorted
    rejected: list[dict] = field(default_factory=list)
    #: every rejected line, including those beyond the cap of ``rejected``
    rejected_count: int = 0

    @property
    def written(self) -> dict[str, int]:
        """Rows written (inserted or updated) per kind."""
        return {k: c["inserted"] + c["updated"] for k, c in self.stored.items()}

    @property
    def changed(self) -> bool:
        """False when the import changed nothing at all (e.g. the same file again)."""
        return any(self.written.values())

    @property
    def accepted(self) -> int:
        return sum(self.records.values())

    def to_dict(self) -> dict:
        return {
            "workspace_id": self.workspace_id,
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "lines_read": self.lines_read,
            "bytes_read": self.bytes_read,
            "blank_lines": self.blank_lines,
            "accepted": self.accepted,
            "records": dict(self.records),
            "stored": {k: dict(v) for k, v in self.stored.items()},
            "deferred": self.deferred,
            "rejected_count": self.rejected_count,
            "rejected": list(self.rejected),
        }

