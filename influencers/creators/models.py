"""The creator data store: creators, posts, follower snapshots, audience samples, edges.

Every table is scoped to a workspace, directly or through its creator. Natural
keys (see ``shared/import-format.md``) are unique constraints, so imports
upsert on them and re-importing a file changes nothing.
"""
from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, attributes, mapped_column, relationship, validates

from influencers.creators.contests import detect_contest
from influencers.db import Base, utcnow

PLATFORMS = (
    "instagram", "tiktok", "youtube", "twitter", "facebook", "linkedin",
    "snapchat", "tumblr", "whatsapp", "twitch", "pinterest", "blog",
)
POST_KINDS = ("photo", "video", "reel", "story", "short", "live", "text")
EDGE_KINDS = ("follows", "mentions", "collaborates", "comments")
GENDERS = ("female", "male", "other")
AGE_RANGES = ("13-17", "18-24", "25-34", "35-44", "45-54", "55-64", "65+")


def normalise_handle(handle: str) -> str:
    """Handles compare case-insensitively and without a leading ``@``."""
    return handle.strip().lstrip("@").lower()


HANDLE_MAX = 100
# The one handle rule (API, importer, CLI): after normalise_handle, ASCII letters,
# digits, '.', '_' and '-'. No control or invisible characters reach exports or URLs.
HANDLE_PATTERN = re.compile(rf"[a-z0-9._\-]{{1,{HANDLE_MAX}}}")
HANDLE_RULE = f"letters, digits, '.', '_' or '-', up to {HANDLE_MAX}"
# The same rule on a handle as sent (before normalise_handle), for request schemas.
HANDLE_INPUT_PATTERN = rf"^\s*@*[A-Za-z0-9._\-]{{1,{HANDLE_MAX}}}\s*$"


def is_valid_handle(normalised: str) -> bool:
    return HANDLE_PATTERN.fullmatch(normalised) is not None


class Creator(Base):
    __tablename__ = "creators"
    __table_args__ = (
        UniqueConstraint("workspace_id", "platform", "handle"),
        Index("ix_creators_workspace_followers", "workspace_id", "followers"),
        Index("ix_creators_workspace_country", "workspace_id", "country"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(20))
    handle: Mapped[str] = mapped_column(String(100))
    display_name: Mapped[str | None] = mapped_column(String(200))
    bio: Mapped[str | None] = mapped_column(Text)
    country: Mapped[str | None] = mapped_column(String(2))
    language: Mapped[str | None] = mapped_column(String(2))
    followers: Mapped[int] = mapped_column(BigInteger, default=0)
    following: Mapped[int] = mapped_column(BigInteger, default=0)
    posts_count: Mapped[int] = mapped_column(BigInteger, default=0)
    verified: Mapped[bool] = mapped_column(Boolean, default=False)
    email: Mapped[str | None] = mapped_column(String(320))
    website: Mapped[str | None] = mapped_column(String(2000))
    avatar_url: Mapped[str | None] = mapped_column(String(2000))
    joined_at: Mapped[dt.date | None] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # Bumped by every write; the ETag is derived from it and updates are
    # conditional on it (UPDATE ... WHERE version = :expected).
    version: Mapped[int] = mapped_column(Integer, default=1)
    # The digest of the import record that last wrote the row (see IMPORT_DIGEST below).
    import_digest: Mapped[int | None] = mapped_column(BigInteger)

    category_rows: Mapped[list[CreatorCategory]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="CreatorCategory.category"
    )

    @property
    def categories(self) -> list[str]:
        return [row.category for row in self.category_rows]


class CreatorCategory(Base):
    """A creator's niches, one row each, so category filters use an index on both backends."""

    __tablename__ = "creator_categories"
    __table_args__ = (Index("ix_creator_categories_category", "category", "creator_id"),)

    creator_id: Mapped[int] = mapped_column(ForeignKey("creators.id", ondelete="CASCADE"), primary_key=True)
    category: Mapped[str] = mapped_column(String(50), primary_key=True)


class Post(Base):
    __tablename__ = "posts"
    __table_args__ = (
        UniqueConstraint("workspace_id", "platform", "external_id"),
        Index("ix_posts_creator_published", "creator_id", "published_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    creator_id: Mapped[int] = mapped_column(ForeignKey("creators.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(20))
    external_id: Mapped[str] = mapped_column(String(200))
    published_at: Mapped[dt.datetime]
    kind: Mapped[str | None] = mapped_column(String(10))
    likes: Mapped[int] = mapped_column(BigInteger, default=0)
    comments: Mapped[int] = mapped_column(BigInteger, default=0)
    views: Mapped[int | None] = mapped_column(BigInteger)
    shares: Mapped[int | None] = mapped_column(BigInteger)
    saves: Mapped[int | None] = mapped_column(BigInteger)
    sponsored: Mapped[bool | None] = mapped_column(Boolean)
    caption: Mapped[str | None] = mapped_column(Text)
    hashtags: Mapped[list | None] = mapped_column(JSON)
    mentions: Mapped[list | None] = mapped_column(JSON)
    # The caption announces a giveaway or contest (``influencers.scoring.inputs.detect_contest``),
    # kept in step with the caption by the importer and by ``_contest_from_caption`` below.
    # Scoring runs read this flag instead of every caption: matching half a million
    # captions cost a scoring run more than reading them. A change of the contest rule
    # therefore needs a migration that recomputes the flag of stored posts.
    is_contest: Mapped[bool] = mapped_column(Boolean, default=False)
    # When these values were last written (an import that changed them): the as-of of
    # the engagement numbers, e.g. in campaign results read from the post.
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    import_digest: Mapped[int | None] = mapped_column(BigInteger)  # see IMPORT_DIGEST

    @validates("caption")
    def _contest_from_caption(self, _key, caption):
        # Posts written through the ORM (tests, fixtures) keep the flag right too.
        self.is_contest = detect_contest(caption)
        return caption


class FollowerSnapshot(Base):
    __tablename__ = "follower_snapshots"
    # An import finds the snapshot lines it wrote by their digest alone (IMPORT_DIGEST), and
    # reads the keys of their rows from the index (covering). Discovery's growth filter reads a
    # creator's window from the second index alone.
    __table_args__ = (Index("ix_follower_snapshots_import_digest", "import_digest", "creator_id", "date"),
                      Index("ix_follower_snapshots_creator_date_followers", "creator_id", "date", "followers"))

    creator_id: Mapped[int] = mapped_column(ForeignKey("creators.id", ondelete="CASCADE"), primary_key=True)
    date: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    followers: Mapped[int] = mapped_column(BigInteger)
    following: Mapped[int | None] = mapped_column(BigInteger)
    posts_count: Mapped[int | None] = mapped_column(BigInteger)
    import_digest: Mapped[int | None] = mapped_column(BigInteger)  # see IMPORT_DIGEST


class SnapshotRun(Base):
    """A run of consecutive snapshot lines of one creator that an import wrote (its 90 daily
    lines, say): the digest of the run's bytes, and a check of the rows its lines wrote (their
    number and the sums of their digests, ``imports/snapshot_runs.py``). A later import finds
    the same run by its digest and skips its lines when the creator's rows between
    ``first_date`` and ``last_date`` still give that check: only a hint, proved against the rows
    each time, so nothing else needs to keep it up to date."""

    __tablename__ = "snapshot_runs"
    __table_args__ = (Index("ix_snapshot_runs_import_digest", "import_digest"),)

    creator_id: Mapped[int] = mapped_column(ForeignKey("creators.id", ondelete="CASCADE"), primary_key=True)
    first_date: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    last_date: Mapped[dt.date] = mapped_column(Date)
    import_digest: Mapped[int] = mapped_column(BigInteger)
    rows_check: Mapped[int] = mapped_column(BigInteger)


class AudienceMember(Base):
    """One follower account, stored once per workspace and platform.

    ``member_key`` is an HMAC of the source id with the workspace's
    pseudonymisation key: the raw id is never stored, yet the same person in
    two creators' samples gets the same key, which is what overlap needs.
    """

    __tablename__ = "audience_members"
    __table_args__ = (UniqueConstraint("workspace_id", "platform", "member_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(20))
    member_key: Mapped[str] = mapped_column(String(32))
    followers: Mapped[int] = mapped_column(BigInteger)
    following: Mapped[int] = mapped_column(BigInteger)
    posts_count: Mapped[int] = mapped_column(BigInteger)
    has_avatar: Mapped[bool] = mapped_column(Boolean)
    bio_length: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.date | None] = mapped_column(Date)
    last_post_at: Mapped[dt.date | None] = mapped_column(Date)
    country: Mapped[str | None] = mapped_column(String(2))
    language: Mapped[str | None] = mapped_column(String(2))
    gender: Mapped[str | None] = mapped_column(String(10))
    age_range: Mapped[str | None] = mapped_column(String(10))


class AudienceSample(Base):
    """A sample of one creator's followers taken on one date. The latest one is current."""

    __tablename__ = "audience_samples"
    __table_args__ = (UniqueConstraint("creator_id", "sampled_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    creator_id: Mapped[int] = mapped_column(ForeignKey("creators.id", ondelete="CASCADE"))
    sampled_at: Mapped[dt.date] = mapped_column(Date)
    member_count: Mapped[int] = mapped_column(Integer, default=0)
    # The digest of the audience record that last wrote the sample, its member list and its
    # members' profiles (see IMPORT_DIGEST); None when one of those changed since.
    import_digest: Mapped[int | None] = mapped_column(BigInteger)


class AudienceSampleMember(Base):
    __tablename__ = "audience_sample_members"
    __table_args__ = (Index("ix_audience_sample_members_member", "member_id"),)

    sample_id: Mapped[int] = mapped_column(ForeignKey("audience_samples.id", ondelete="CASCADE"), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("audience_members.id", ondelete="CASCADE"), primary_key=True)


class CreatorEdge(Base):
    """A directed, weighted relation between two creators of the same platform."""

    __tablename__ = "creator_edges"
    __table_args__ = (
        UniqueConstraint("source_id", "target_id", "kind"),
        Index("ix_creator_edges_workspace_platform", "workspace_id", "platform"),
        Index("ix_creator_edges_target", "target_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(20))
    source_id: Mapped[int] = mapped_column(ForeignKey("creators.id", ondelete="CASCADE"))
    target_id: Mapped[int] = mapped_column(ForeignKey("creators.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    weight: Mapped[float] = mapped_column(Float, default=1.0)
    observed_at: Mapped[dt.date | None] = mapped_column(Date)


# IMPORT_DIGEST: an import stores with each creator, post, snapshot and audience sample a keyed
# digest of the line that wrote it (influencers.imports.digests) and skips a record whose digest has
# not changed, so re-importing a file costs a comparison. A row changed in any other way must
# lose its digest, so that the next import writes it again: ORM updates lose it here, and the
# UPDATE statements issued elsewhere set it to NULL themselves (creators.service.update_creator,
# privacy.service.erase_member).
@event.listens_for(Creator, "before_update")
@event.listens_for(Post, "before_update")
@event.listens_for(AudienceSample, "before_update")
@event.listens_for(FollowerSnapshot, "before_update")
def _forget_import_digest(_mapper, _connection, row) -> None:
    if not attributes.get_history(row, "import_digest").has_changes():
        row.import_digest = None
