"""Audience members' personal data: erasure and retention."""
from __future__ import annotations

import click

from influencers.cli.context import Context, pass_context, workspace_id_by_name
from influencers.creators.models import PLATFORMS as PLATFORM_CHOICES


@click.group()
def privacy():
    """Audience members' personal data: erasure requests and the retention."""


@privacy.command("erase")
@click.option("--workspace", "workspace_name", required=True)
@click.option("--platform", required=True, type=click.Choice(PLATFORM_CHOICES))
@click.option("--member-id", required=True, help="The follower's id on the platform (as imported)")
@pass_context
def privacy_erase(ctx: Context, workspace_name: str, platform: str, member_id: str):
    """Erase one person from every audience sample of a workspace (audited)."""
    from influencers.privacy import service

    if not 1 <= len(member_id) <= 200:
        raise click.BadParameter("1 to 200 characters", param_hint="--member-id")
    ws_id = workspace_id_by_name(ctx, workspace_name)
    with ctx.db.transaction() as session:
        result = service.erase_member(session, ws_id, platform, member_id,
                                      secret=ctx.settings.pseudonym_secret, key_id=None)
    found = "" if result.member_found else " (nobody with this id in the workspace)"
    click.echo(f"removed from {result.samples_changed} audience samples{found}; "
               f"{result.sketches_rebuilt} sketches rebuilt; audit event {result.audit_event_id}")


@privacy.command("enforce-retention")
@click.option("--days", type=click.IntRange(min=1), default=None,
              help="Keep samples this many days (default: INFLUENCERS_AUDIENCE_RETENTION_DAYS, 365)")
@pass_context
def privacy_enforce_retention(ctx: Context, days: int | None):
    """Delete audience samples older than the retention, in every workspace (run it daily from cron)."""
    from influencers.privacy import service

    days = days or ctx.settings.audience_retention_days
    with ctx.db.transaction() as session:
        result = service.enforce_retention(session, days)
    click.echo(f"{result.samples_deleted} audience samples taken before {result.cutoff.isoformat()} deleted "
               f"({result.members_deleted} members no other sample holds) in {result.workspaces} workspaces")

