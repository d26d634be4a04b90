"""Webhook deliveries: retries whose timer was lost, and the delivery log's retention."""
from __future__ import annotations

import click

from influencers.cli.context import Context, pass_context


@click.group()
def webhooks():
    """Webhook deliveries."""


@webhooks.command("retry-due")
@click.option("--grace-seconds", default=60.0, show_default=True,
              help="Only attempts due at least this long ago (younger ones may be on their way).")
@pass_context
def webhooks_retry_due(ctx: Context, grace_seconds: float):
    """Send the delivery attempts that are due but were never dispatched.

    Without a broker, retries wait on timers in the process that scheduled them and are
    lost when it stops: run this from cron (e.g. every few minutes) to send them. With a
    broker it hands them to the workers; without one it sends them itself, one by one.
    """
    from influencers.jobs import runner
    from influencers.webhooks.delivery import overdue_jobs

    job_ids = overdue_jobs(ctx.db, grace_seconds)
    for job_id in job_ids:
        if ctx.settings.broker_url:
            runner.dispatch(ctx.db, ctx.settings, job_id)
        else:
            runner.run_job(ctx.db, ctx.settings, job_id)
    click.echo(f"{len(job_ids)} overdue delivery attempt(s) {'dispatched' if ctx.settings.broker_url else 'sent'}")


@webhooks.command("purge")
@click.option("--days", default=30, show_default=True, type=click.IntRange(min=0),
              help="Keep the delivery log of the last DAYS days.")
@pass_context
def webhooks_purge(ctx: Context, days: int):
    """Delete webhook events older than DAYS days with their deliveries (the delivery log's retention)."""
    import datetime as dt

    from influencers.db import utcnow
    from influencers.webhooks import service

    with ctx.db.transaction() as session:
        count = service.purge_log(session, utcnow() - dt.timedelta(days=days))
    click.echo(f"{count} webhook event(s) deleted with their deliveries")
