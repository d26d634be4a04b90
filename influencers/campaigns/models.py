"""Campaign management: campaigns, versioned briefs, creators in a campaign,
deliverables with their submissions and reviews, results, EMV rate cards and
the audit trail of every state change.

Money is integer minor units (``*_minor``, ``BigInteger``) with an ISO 4217
currency beside it; rates and targets are decimal strings in JSON columns.
Nothing money-like is ever a float.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from influencers.campaigns import transitions
from influencers.db import Base, utcnow

OBJECTIVES = ("awareness", "engagement", "traffic", "conversions", "contest_giveaway")
CAMPAIGN_STATUSES = ("draft", "active", "completed", "cancelled")
CAMPAIGN_CREATOR_STATUSES = ("shortlisted", "invited", "accepted", "declined", "contracted", "completed", "removed")
DELIVERABLE_KINDS = ("post", "reel", "story", "video", "short", "live", "blog_article")
DELIVERABLE_STATUSES = ("planned", "submitted", "changes_requested", "approved", "published", "missed")
RESULT_SOURCES = ("imported_post", "manual", "bulk_import")
AUDITED_OBJECTS = ("campaign", "campaign_creator", "deliverable")


class Campaign(Base):
    __tablename__ = "campaigns"
    __table_args__ = (Index("ix_campaigns_workspace_status", "workspace_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    brand: Mapped[str] = mapped_column(String(200))
    objective: Mapped[str] = mapped_column(String(30))
    budget_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    # {"USD": "0.92"}: one unit of USD is worth 0.92 units of ``currency``. The
    # only way amounts in other currencies are ever added to campaign money.
    exchange_rates: Mapped[dict] = mapped_column(JSON, default=dict)
    start_date: Mapped[dt.date | None] = mapped_column(Date)
    end_date: Mapped[dt.date | None] = mapped_column(Date)
    # {"reach": "100000", "engagement_rate_by_reach": "0.05", "cpe": "0.40", ...}
    target_kpis: Mapped[dict] = mapped_column(JSON, default=dict)
    # {"utm": {"source": ..., "medium": ..., "campaign": ...}, "hashtags": [...], "mentions": [...]}
    tracking: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20), default="draft")
    # The latest brief version (0: no brief yet). Bumped by a conditional UPDATE
    # when a brief version is added, so two concurrent editors cannot both win.
    brief_version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    @property
    def allowed_transitions(self) -> list[str]:
        return list(transitions.CAMPAIGN[self.status])


class CampaignBrief(Base):
    """One immutable version of a campaign's brief."""

    __tablename__ = "campaign_briefs"
    __table_args__ = (UniqueConstraint("campaign_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    message: Mapped[str] = mapped_column(Text)
    # {"formats": [...], "counts": {...}, "hashtags": [...], "mentions": [...],
    #  "dos": [...], "donts": [...], "disclosure": {"hashtags": [...], "paid_partnership_label": bool}}
    requirements: Mapped[dict] = mapped_column(JSON, default=dict)
    timeline: Mapped[list] = mapped_column(JSON, default=list)
    usage_rights: Mapped[dict] = mapped_column(JSON, default=dict)
    # Days before adding a creator during which a sponsored post for a competitor of the
    # campaign's brand earns a warning (influencers.brands.exclusivity); none: no check.
    exclusivity_days: Mapped[int | None] = mapped_column(Integer)
    change_note: Mapped[str | None] = mapped_column(String(500))
    created_by_key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class CampaignCreator(Base):
    __tablename__ = "campaign_creators"
    __table_args__ = (
        UniqueConstraint("campaign_id", "creator_id"),
        Index("ix_campaign_creators_creator", "creator_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    creator_id: Mapped[int] = mapped_column(ForeignKey("creators.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(20), default="shortlisted")
    fee_minor: Mapped[int | None] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    notes: Mapped[str | None] = mapped_column(Text)
    # Where the creator came from: "manual", "bulk", "shortlist:<id>", "optimiser:<id>"...
    source: Mapped[str] = mapped_column(String(100), default="manual")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    @property
    def allowed_transitions(self) -> list[str]:
        return list(transitions.CAMPAIGN_CREATOR[self.status])


class Deliverable(Base):
    __tablename__ = "deliverables"
    __table_args__ = (
        Index("ix_deliverables_campaign_creator", "campaign_creator_id"),
        Index("ix_deliverables_workspace_due", "workspace_id", "due_date"),
        Index("ix_deliverables_campaign", "campaign_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    campaign_creator_id: Mapped[int] = mapped_column(ForeignKey("campaign_creators.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    platform: Mapped[str] = mapped_column(String(20))
    title: Mapped[str | None] = mapped_column(String(200))
    due_date: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="planned")
    # The brief version this deliverable answers (0 when planned before any brief).
    brief_version: Mapped[int] = mapped_column(Integer, default=0)
    # The published post, matched at read time to ``posts`` by (workspace, platform, external_id),
    # so engagement imported later flows in without touching the deliverable.
    post_external_id: Mapped[str | None] = mapped_column(String(200))
    published_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    @property
    def allowed_transitions(self) -> list[str]:
        return list(transitions.DELIVERABLE[self.status])

    @property
    def overdue(self) -> bool:
        """Past its due date (UTC) and neither published nor missed."""
        return (self.due_date is not None and self.due_date < utcnow().date()
                and self.status in transitions.OPEN_DELIVERABLE_STATUSES)


class DeliverableSubmission(Base):
    """A draft submitted for review, and the review that decided it."""

    __tablename__ = "deliverable_submissions"
    __table_args__ = (UniqueConstraint("deliverable_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    deliverable_id: Mapped[int] = mapped_column(ForeignKey("deliverables.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    brief_version: Mapped[int] = mapped_column(Integer)
    draft_url: Mapped[str | None] = mapped_column(String(2000))
    draft_text: Mapped[str | None] = mapped_column(Text)
    submitted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    submitted_by_key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id", ondelete="SET NULL"))
    decision: Mapped[str | None] = mapped_column(String(20))  # changes_requested | approved
    review_comments: Mapped[str | None] = mapped_column(Text)
    reviewed_at: Mapped[dt.datetime | None]
    reviewed_by_key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id", ondelete="SET NULL"))


class DeliverableResult(Base):
    """Results entered by hand or by a bulk result import (imported posts are read live)."""

    __tablename__ = "deliverable_results"
    __table_args__ = (Index("ix_deliverable_results_deliverable", "deliverable_id", "as_of"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    deliverable_id: Mapped[int] = mapped_column(ForeignKey("deliverables.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(20))
    as_of: Mapped[dt.datetime]
    impressions: Mapped[int | None] = mapped_column(BigInteger)
    reach: Mapped[int | None] = mapped_column(BigInteger)
    views: Mapped[int | None] = mapped_column(BigInteger)
    likes: Mapped[int | None] = mapped_column(BigInteger)
    comments: Mapped[int | None] = mapped_column(BigInteger)
    shares: Mapped[int | None] = mapped_column(BigInteger)
    saves: Mapped[int | None] = mapped_column(BigInteger)
    clicks: Mapped[int | None] = mapped_column(BigInteger)
    conversions: Mapped[int | None] = mapped_column(BigInteger)
    revenue_minor: Mapped[int | None] = mapped_column(BigInteger)
    revenue_currency: Mapped[str | None] = mapped_column(String(3))
    created_by_key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class EmvRateCard(Base):
    """One version of a workspace's earned-media-value rate card.

    ``rates``: ``{platform: {"impression": "0.005", "view": ..., "like": ..., "comment": ...,
    "share": ..., "save": ..., "click": ...}}``, values per action in major units of ``currency``.
    """

    __tablename__ = "emv_rate_cards"
    __table_args__ = (UniqueConstraint("workspace_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    rates: Mapped[dict] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(String(500))
    created_by_key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
