"""The creator graph as GraphML or GEXF."""
from __future__ import annotations

import sys

import click

from influencers.cli.context import Context, pass_context, workspace_id_by_name


@click.group()
def graph():
    """The creator graph."""


@graph.command("export")
@click.option("--workspace", "workspace_name", required=True)
@click.option("--platform", required=True)
@click.option("--format", "fmt", type=click.Choice(["graphml", "gexf"]), default="graphml", show_default=True)
@click.option("--kind", "kinds", multiple=True, type=click.Choice(["follows", "mentions", "collaborates", "comments"]),
              help="Only edges of this kind (repeatable; default: all)")
@pass_context
def graph_export(ctx: Context, workspace_name: str, platform: str, fmt: str, kinds: tuple[str, ...]):
    """Write a platform's creator graph as GraphML or GEXF to stdout (open it in Gephi)."""
    from influencers.graph import service

    ws_id = workspace_id_by_name(ctx, workspace_name)
    with ctx.db.transaction(write=False) as session:
        data, _content_type = service.export_graph(session, ws_id, platform, fmt, kinds=list(kinds) or None)
    sys.stdout.flush()
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()


