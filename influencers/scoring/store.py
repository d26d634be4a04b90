"""Stored scoring: model versions, scoring runs, per-creator scores, audience shares and sketches.

Scores are never overwritten: each run writes its own rows, and ``is_current``
marks the newest score of each creator (what discovery filters and sorts on).
A model version is plain JSON (weights, thresholds, reach rates, penalties):
nothing is ever pickled.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from influencers.db import Base, JSONText, utcnow
from influencers.jobs.models import Job, job_column
from influencers.scoring.model import FLAGS

# Flags are stored as a bit set too, so "has flag X and not flag Y" is one indexed
# integer test on both backends instead of a JSON search.
FLAG_BITS = {name: 1 << position for position, name in enumerate(FLAGS)}


class ScoringModelVersion(Base):
    __tablename__ = "scoring_models"
    __table_args__ = (UniqueConstraint("workspace_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    version: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(20), default="shipped")  # shipped | edited | trained
    parameters: Mapped[dict] = mapped_column(JSON)
    is_active: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    activated_at: Mapped[dt.datetime | None]


class ScoringRun(Base):
    """A scoring run. Its status, error and times are its job's (one row holds them): the
    job a worker runs (``POST /scoring-runs``) or the CLI's run records (``influencers score``)."""

    __tablename__ = "scoring_runs"
    __table_args__ = (Index("ix_scoring_runs_workspace", "workspace_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"))
    model_id: Mapped[int] = mapped_column(ForeignKey("scoring_models.id"))
    model_version: Mapped[str] = mapped_column(String(100))
    creators_scored: Mapped[int] = mapped_column(Integer, default=0)
    timings: Mapped[dict | None] = mapped_column(JSON)
    # A newer run of the workspace had already succeeded when this one finished: its
    # scores are stored as history, never current.
    superseded: Mapped[bool] = mapped_column(Boolean, default=False)

    job: Mapped[Job] = relationship(lazy="joined", innerjoin=True)

    status = job_column("status")
    error = job_column("error")
    created_at = job_column("created_at")
    started_at = job_column("started_at")
    finished_at = job_column("finished_at")


class CreatorScore(Base):
    __tablename__ = "creator_scores"
    __table_args__ = (
        Index("ix_creator_scores_current_score", "workspace_id", "is_current", "score"),
        # workspace_id last: discovery's join (creator_id, is_current, workspace_id) then
        # matches three columns here against two of ix_creator_scores_current_score, so
        # SQLite without ANALYZE statistics probes this index per creator instead of
        # scanning every current score per creator (quadratic: minutes at 100k creators).
        # The columns after workspace_id make it covering for discovery's filters and
        # sorts: a search probes it once per candidate creator (from the category or
        # audience subquery) without touching the score row itself.
        Index("ix_creator_scores_creator", "creator_id", "is_current", "workspace_id", "score", "authenticity",
              "fake_follower_share", "engagement_rate", "flag_bits"),
        Index("ix_creator_scores_run", "run_id"),
        # Brand reports join every mention to its creator's current reach: read from the index alone.
        Index("ix_creator_scores_creator_reach", "creator_id", "is_current", "workspace_id", "estimated_reach"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    run_id: Mapped[int] = mapped_column(ForeignKey("scoring_runs.id", ondelete="CASCADE"))
    creator_id: Mapped[int] = mapped_column(ForeignKey("creators.id", ondelete="CASCADE"))
    is_current: Mapped[bool] = mapped_column(Boolean, default=True)
    model_version: Mapped[str] = mapped_column(String(100))
    as_of: Mapped[dt.date | None] = mapped_column(Date)
    score: Mapped[float] = mapped_column(Float)
    authenticity: Mapped[float] = mapped_column(Float)
    engagement_quality: Mapped[float | None] = mapped_column(Float)
    reach_component: Mapped[float | None] = mapped_column(Float)
    centrality: Mapped[float | None] = mapped_column(Float)
    fake_follower_share: Mapped[float | None] = mapped_column(Float)
    fake_follower_share_low: Mapped[float | None] = mapped_column(Float)
    fake_follower_share_high: Mapped[float | None] = mapped_column(Float)
    reachable_share: Mapped[float | None] = mapped_column(Float)
    engagement_rate: Mapped[float | None] = mapped_column(Float)
    engagement_rate_views: Mapped[float | None] = mapped_column(Float)
    estimated_reach: Mapped[int | None] = mapped_column(BigInteger)
    sample_size: Mapped[int] = mapped_column(Integer, default=0)
    confidence: Mapped[float | None] = mapped_column(Float)
    flag_bits: Mapped[int] = mapped_column(Integer, default=0)
    flags: Mapped[list] = mapped_column(JSON, default=list)


class CreatorScoreExplanation(Base):
    """The full explanation of one score (components, flags with evidence, reach inputs).

    Kept out of ``creator_scores`` on purpose: at ~6 kB it is twenty times the
    rest of the row, and discovery filters, sorts and counts over score rows. In
    the same table every search would page through the explanations too (on
    SQLite a 6 kB row leaves room for a handful of rows per page).
    """

    __tablename__ = "creator_score_explanations"

    score_id: Mapped[int] = mapped_column(ForeignKey("creator_scores.id", ondelete="CASCADE"), primary_key=True)
    # Text, not JSON: nothing queries inside it, and PostgreSQL would parse ~110 MB per run.
    explanation: Mapped[dict] = mapped_column(JSONText)


# The smallest share discovery's lookup index holds (see AudienceShare). Written into the
# index's WHERE clause and repeated literally in the queries that use it: SQLite uses a
# partial index only when the query contains its condition term for term.
LOOKUP_MIN_SHARE = 0.05


class AudienceShare(Base):
    """Share of a creator's latest audience sample with one attribute (country FR, age 18-24...),
    the attribute as its code (:mod:`influencers.scoring.attributes`).

    Rewritten by each scoring run (only the creators whose rows changed, see
    :func:`influencers.scoring.runs.write_audience_shares`); discovery's
    audience-composition filters use it.

    No foreign key to ``creators``, on purpose: it is a derived table of ~37 rows per
    creator, and PostgreSQL checks a foreign key row by row (a trigger per inserted
    row: about half of a first run's COPY of ~750,000 rows). Its integrity is kept per
    creator instead: rows are only inserted together with the creator's
    ``audience_share_digests`` row, which has the foreign key (so a creator deleted
    meanwhile fails the run), and :func:`influencers.privacy.service.delete_creator`
    deletes them. Anything else that deletes creators must delete their shares too.
    """

    __tablename__ = "audience_shares"
    # Discovery's lookup index: creator_id last makes it covering for the "share of X >= s"
    # subquery. Partial: it holds only the shares of at least LOOKUP_MIN_SHARE, a third of
    # the rows (most of a 200-member sample's ~37 rows are small countries and languages).
    # Maintaining it for every row was most of a first run's COPY of its rows on PostgreSQL;
    # a filter below that share is answered through the primary key instead (see
    # influencers.discovery).
    __table_args__ = (Index("ix_audience_shares_lookup", "attribute", "share", "creator_id",
                            sqlite_where=text(f"share >= {LOOKUP_MIN_SHARE}"),
                            postgresql_where=text(f"share >= {LOOKUP_MIN_SHARE}")),)

    creator_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    attribute: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    share: Mapped[float] = mapped_column(Float)
    sample_size: Mapped[int] = mapped_column(Integer)


class AudienceShareDigest(Base):
    """One 64-bit digest of a creator's ``audience_shares`` rows (see
    :func:`influencers.scoring.audience_pass.share_digests`), written with them.

    A scoring run compares the digests of its new rows with these to find the
    creators whose rows changed, instead of reading back every stored share row.
    """

    __tablename__ = "audience_share_digests"

    creator_id: Mapped[int] = mapped_column(ForeignKey("creators.id", ondelete="CASCADE"), primary_key=True)
    digest: Mapped[int] = mapped_column(BigInteger)


class AudienceSketchRecord(Base):
    """A creator's stored theta sketch of its latest sample's counted (authentic) members.

    Written by every scoring run (:func:`influencers.scoring.sketch_store.store_sketch_batch`),
    rebuilt by :func:`influencers.shortlists.sketches.build_sketches`; the parameters it was
    built with are stored with it (and also in the serialised bytes' header: see
    :mod:`influencers.overlap.sketch`).
    """

    __tablename__ = "audience_sketches"
    __table_args__ = (UniqueConstraint("creator_id", "sample_id", name="uq_audience_sketches_creator_sample"),
                      Index("ix_audience_sketches_sample", "sample_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    creator_id: Mapped[int] = mapped_column(ForeignKey("creators.id", ondelete="CASCADE"))
    sample_id: Mapped[int] = mapped_column(ForeignKey("audience_samples.id", ondelete="CASCADE"))
    sampled_at: Mapped[dt.date] = mapped_column(Date)
    lg_k: Mapped[int] = mapped_column(Integer)
    seed: Mapped[int] = mapped_column(BigInteger)  # DataSketches seeds are u64; stored ones stay below 2^63
    sketch_format_version: Mapped[int] = mapped_column(Integer)
    member_count: Mapped[int] = mapped_column(Integer)
    sketch: Mapped[bytes] = mapped_column(LargeBinary)
    # blake2b-64 of ``sketch`` (signed): a run finds the rows it must replace by comparing
    # digests, without reading 20,000 blobs back.
    sketch_digest: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class StagedBlob(Base):
    """What a chunked run's parts hand each other through the database when its chunks run
    on several workers (:mod:`influencers.scoring.fan_out`): the first pass (``chunk`` -1)
    and each chunk's scored rows, as typed blobs (``np.savez`` read with ``allow_pickle=False``,
    or JSON). Deleted when the run ends, in the transaction that ends it."""

    __tablename__ = "scoring_staged_blobs"

    run_id: Mapped[int] = mapped_column(ForeignKey("scoring_runs.id", ondelete="CASCADE"), primary_key=True)
    chunk: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    # The layout of ``data`` (typed_blob.FORMAT_VERSION for the first pass): another is refused.
    format_version: Mapped[int] = mapped_column(SmallInteger)
    data: Mapped[bytes] = mapped_column(LargeBinary)
