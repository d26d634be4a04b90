"""Brands to monitor: created or updated from a file, then every post re-matched."""
from __future__ import annotations

import json
from pathlib import Path

import click

from influencers.cli.context import Context, pass_context, workspace_id_by_name


@click.group()
def brands():
    """Brands to monitor (mentions, share of voice)."""


@brands.command("import")
@click.option("--workspace", "workspace_name", required=True)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_context
def brands_import(ctx: Context, workspace_name: str, file: Path):
    """Create or update (by name) the brands of a JSON FILE, then re-match every post against them.

    FILE: a JSON list of {"name", "handles": {platform: [handle, ...]}, "hashtags": [...],
    "keywords": [...], "exclude_keywords": [...], "competitors": [brand name, ...]}.
    """
    import marshmallow as ma

    from influencers.api.brands.schemas import BrandFileItemSchema
    from influencers.brands import service
    from influencers.errors import InvalidInput
    from influencers.jobs import runner

    ws_id = workspace_id_by_name(ctx, workspace_name)
    try:
        items = BrandFileItemSchema(many=True).load(json.loads(file.read_text(encoding="utf-8")))
    except json.JSONDecodeError as error:
        raise click.ClickException(f"{file} is not JSON: {error}") from None
    except ma.ValidationError as error:
        raise click.ClickException(f"{file} is not a list of brands: {json.dumps(error.messages)}") from None
    try:
        with ctx.db.transaction() as session:
            report = service.import_brands(session, ws_id, items)
    except InvalidInput as error:
        raise click.ClickException(f"{error.field}: {error.reason}") from None
    click.echo(f"created {len(report['created'])}, updated {len(report['updated'])}, "
               f"unchanged {len(report['unchanged'])}")
    if report["job_id"] is not None:
        runner.run_job(ctx.db, ctx.settings, report["job_id"])
        with ctx.db.session() as session:
            from influencers.jobs.models import Job

            job = session.get(Job, report["job_id"])
            if job.status != "succeeded":
                raise click.ClickException(f"re-matching failed: {job.error}")
            result = job.result
        click.echo(f"re-matched {result['posts']:,} posts: {result['inserted']:,} mentions added, "
                   f"{result['deleted']:,} removed, {result['updated']:,} updated, {result['unchanged']:,} unchanged")


