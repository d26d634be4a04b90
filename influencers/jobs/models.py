"""Background jobs: the status resource of every long piece of work."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Text, select, text
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column

from influencers.db import Base, utcnow

JOB_STATUSES = ("queued", "running", "succeeded", "failed")


class Job(Base):
    __tablename__ = "jobs"
    __table_args__ = (
        Index("ix_jobs_workspace_created", "workspace_id", "created_at"),
        # The reaper's scan: unfinished jobs only.
        Index("ix_jobs_unfinished", "status", "heartbeat_at",
              sqlite_where=text("status IN ('queued', 'running')"),
              postgresql_where=text("status IN ('queued', 'running')")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(50))
    status: Mapped[str] = mapped_column(String(20), default="queued")
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    result: Mapped[dict | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    started_at: Mapped[dt.datetime | None]
    finished_at: Mapped[dt.datetime | None]
    # Liveness: the process holding the job (queued in its thread pool, or running it)
    # refreshes heartbeat_at; the reaper fails a job whose heartbeat stopped.
    heartbeat_at: Mapped[dt.datetime | None]
    # "host:pid" of the process that last claimed the job; how many times it was claimed.
    worker: Mapped[str | None] = mapped_column(String(255))
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # A job dispatched with a delay (a retry) is due then: the queue timeout counts from it.
    not_before: Mapped[dt.datetime | None]


def job_column(name: str) -> hybrid_property:
    """One of a job's columns as an attribute of the row whose status the job holds (a scoring
    run, a comparison: one row holds the status): read on ``row.job``, and usable in queries (a
    correlated subquery on ``job_id``)."""

    def instance(row):
        return getattr(row.job, name)

    def expression(cls):
        return select(getattr(Job, name)).where(Job.id == cls.job_id).correlate_except(Job).scalar_subquery()

    return hybrid_property(instance, expr=expression)
