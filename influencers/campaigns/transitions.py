"""The status machines of campaigns, campaign creators and deliverables."""
from __future__ import annotations

from influencers.errors import Conflict

CAMPAIGN = {
    "draft": ("active", "cancelled"),
    "active": ("completed", "cancelled"),
    "completed": (),
    "cancelled": (),
}

CAMPAIGN_CREATOR = {
    "shortlisted": ("invited", "removed"),
    "invited": ("accepted", "declined", "removed"),
    "accepted": ("contracted", "removed"),
    "declined": ("invited", "removed"),
    "contracted": ("completed", "removed"),
    "completed": (),
    "removed": (),
}

DELIVERABLE = {
    "planned": ("submitted", "missed"),
    "submitted": ("changes_requested", "approved"),
    "changes_requested": ("submitted", "missed"),
    "approved": ("published", "missed"),
    "published": (),
    "missed": (),
}

MACHINES = {"campaign": CAMPAIGN, "campaign_creator": CAMPAIGN_CREATOR, "deliverable": DELIVERABLE}

# Campaign creators whose fee is committed spend.
COMMITTED_CREATOR_STATUSES = ("contracted", "completed")
OPEN_CAMPAIGN_STATUSES = ("draft", "active")
# Deliverables still expected: past their due date they are overdue.
OPEN_DELIVERABLE_STATUSES = ("planned", "submitted", "changes_requested", "approved")


class IllegalTransition(Conflict):
    """The status ``to`` cannot follow the current one; the reason lists the statuses that can."""

    def __init__(self, kind: str, current: str, target: str, detail: str | None = None):
        self.kind, self.current, self.target = kind, current, target
        self.allowed = MACHINES[kind][current]
        self.detail = detail
        super().__init__(detail or f"A {kind.replace('_', ' ')} cannot go from '{current}' to '{target}'.",
                         field="to", reason=f"allowed: {', '.join(self.allowed) or 'none (final status)'}")


def check(kind: str, current: str, target: str) -> None:
    if target not in MACHINES[kind][current]:
        raise IllegalTransition(kind, current, target)
