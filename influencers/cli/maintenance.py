"""Operators' commands: schema migrations, expired idempotency records, dead jobs."""
from __future__ import annotations

import click

from influencers.cli.context import Context, pass_context


@click.group()
def db():
    """Database schema."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
@pass_context
def db_upgrade(ctx: Context, revision: str):
    """Apply schema migrations up to REVISION."""
    from influencers import migrate

    migrate.upgrade(ctx.db.engine, revision)
    click.echo(f"database at {migrate.current_revision(ctx.db.engine)} ({ctx.db.engine.dialect.name})")


@click.group()
def idempotency():
    """Idempotency-Key records (kept INFLUENCERS_IDEMPOTENCY_TTL_HOURS, default 24)."""


@idempotency.command("purge")
@pass_context
def idempotency_purge(ctx: Context):
    """Delete expired Idempotency-Key records (the API also purges a workspace's on its next keyed request)."""
    import datetime as dt

    from influencers.db import utcnow
    from influencers.workspaces import service

    cutoff = utcnow() - dt.timedelta(hours=ctx.settings.idempotency_ttl_hours)
    with ctx.db.transaction() as session:
        deleted = service.purge_expired_idempotency_records(session, cutoff)
    click.echo(f"purged {deleted} expired idempotency records")


@click.group()
def jobs():
    """Background jobs."""


@jobs.command("reap")
@pass_context
def jobs_reap(ctx: Context):
    """Fail now the jobs whose worker died (no heartbeat for INFLUENCERS_JOB_TIMEOUT_SECONDS)."""
    from influencers.jobs.reaper import reap

    reaped = reap(ctx.db, ctx.settings)
    if reaped:
        click.echo(f"failed {len(reaped)} job(s) whose worker died: {', '.join(map(str, reaped))}")
    else:
        click.echo("no job to reap")


