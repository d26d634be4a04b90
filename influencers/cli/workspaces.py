"""Workspaces and their API keys."""
from __future__ import annotations

import click

from influencers.cli.context import Context, pass_context, workspace_id_by_name


@click.group()
def workspace():
    """Workspaces (one brand or agency each)."""


@workspace.command("create")
@click.argument("name")
@pass_context
def workspace_create(ctx: Context, name: str):
    """Create workspace NAME and print its first admin key (shown once)."""
    from influencers.workspaces import service

    with ctx.db.transaction() as session:
        try:
            ws, _key, plaintext = service.create_workspace(session, name)
        except service.WorkspaceExists:
            raise click.ClickException(f"workspace {name!r} already exists") from None
        ws_id = ws.id
    click.echo(f"workspace {name!r} created (id {ws_id})")
    click.echo(f"admin key (shown once, store it now): {plaintext}")


@click.group()
def key():
    """API keys."""


@key.command("create")
@click.option("--workspace", "workspace_name", required=True)
@click.option("--role", type=click.Choice(["admin", "manager", "analyst", "viewer"]), required=True)
@click.option("--name", default=None, help="A label to recognise the key by")
@pass_context
def key_create(ctx: Context, workspace_name: str, role: str, name: str | None):
    """Create an API key with ROLE in a workspace; prints it once."""
    from influencers.workspaces import service

    ws_id = workspace_id_by_name(ctx, workspace_name)
    with ctx.db.transaction() as session:
        _key, plaintext = service.create_key(session, ws_id, role=role, name=name or f"{role} key (cli)")
    click.echo(plaintext)


