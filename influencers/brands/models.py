"""Brands a workspace monitors, their competitors, the posts that mention them and their audit trail."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from influencers.brands.discovery_generation import DiscoveryChange, DiscoveryGeneration  # noqa: F401  (metadata)
from influencers.db import Base, utcnow


class Brand(Base):
    __tablename__ = "brands"
    __table_args__ = (UniqueConstraint("workspace_id", "name_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    # The name folded (case and accents): names are unique and looked up in this form.
    name_key: Mapped[str] = mapped_column(String(200))
    # {platform: [handle, ...]}, handles without '@', lower case.
    handles: Mapped[dict] = mapped_column(JSON, default=dict)
    hashtags: Mapped[list] = mapped_column(JSON, default=list)
    keywords: Mapped[list] = mapped_column(JSON, default=list)
    exclude_keywords: Mapped[list] = mapped_column(JSON, default=list)
    # Bumped when the matching rules change; ``matched_rules_version`` is the version the
    # stored mentions reflect (behind it while a re-matching job runs).
    rules_version: Mapped[int] = mapped_column(Integer, default=1)
    matched_rules_version: Mapped[int] = mapped_column(Integer, default=0)
    match_job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)


class BrandCompetitor(Base):
    """``brand`` competes with ``competitor``: the brand's competitor group is itself and these."""

    __tablename__ = "brand_competitors"
    __table_args__ = (Index("ix_brand_competitors_competitor", "competitor_id"),)

    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"), primary_key=True)
    competitor_id: Mapped[int] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"), primary_key=True)


class BrandMention(Base):
    """A post that mentions a brand, with what matched.

    The post's creator, platform, date, sponsored flag and engagement are copied here
    (they change only through an import, which re-matches the posts it changes), so a
    brand's mentions over a period are read and aggregated from this table's index
    alone, without visiting the posts.
    """

    __tablename__ = "brand_mentions"
    __table_args__ = (
        Index("ix_brand_mentions_brand_published", "brand_id", "published_at", "creator_id", "sponsored",
              "likes", "comments"),
        Index("ix_brand_mentions_creator", "creator_id", "brand_id", "published_at"),
        Index("ix_brand_mentions_post", "post_id"),
    )

    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"), primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    creator_id: Mapped[int] = mapped_column(ForeignKey("creators.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(20))
    published_at: Mapped[dt.datetime]
    sponsored: Mapped[bool] = mapped_column(Boolean)
    matched_by: Mapped[str] = mapped_column(String(10))  # handle | hashtag | keyword
    matched_term: Mapped[str] = mapped_column(String(200))
    likes: Mapped[int] = mapped_column(BigInteger)
    comments: Mapped[int] = mapped_column(BigInteger)


class BrandAuditEvent(Base):
    """Who created, changed or deleted a brand, when, and what changed."""

    __tablename__ = "brand_audit_events"
    __table_args__ = (Index("ix_brand_audit_events_brand", "workspace_id", "brand_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    # No foreign key: the trail outlives a deleted brand.
    brand_id: Mapped[int] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(String(20))  # created | updated | deleted | imported
    changes: Mapped[dict] = mapped_column(JSON, default=dict)
    key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id", ondelete="SET NULL"))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)

