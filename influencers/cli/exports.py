"""CSV exports: scores and brand mentions."""
from __future__ import annotations

import csv
import sys

import click

from influencers.cli.context import Context, pass_context, workspace_id_by_name

EXPORT_COLUMNS = ["platform", "handle", "score", "authenticity", "fake_follower_share", "fake_follower_share_low",
                  "fake_follower_share_high", "reachable_share", "engagement_rate", "estimated_reach", "flags",
                  "sample_size", "confidence", "as_of", "model_version", "run_id", "creator_id"]


@click.group()
def export():
    """Export data as CSV."""


@export.command("scores")
@click.option("--workspace", "workspace_name", required=True)
@pass_context
def export_scores(ctx: Context, workspace_name: str):
    """Write the current score of every creator as CSV to stdout (flags separated by ';')."""
    from sqlalchemy import select, true

    from influencers.creators.models import Creator
    from influencers.scoring.store import CreatorScore

    ws_id = workspace_id_by_name(ctx, workspace_name)
    from influencers import csv_export

    writer = csv_export.Writer(sys.stdout, lineterminator="\n")
    writer.writerow(EXPORT_COLUMNS)
    stmt = (
        select(Creator.platform, Creator.handle, CreatorScore)
        .join(CreatorScore, (CreatorScore.creator_id == Creator.id) & (CreatorScore.is_current == true()))
        .where(Creator.workspace_id == ws_id)
        .order_by(CreatorScore.score.desc(), Creator.id)
    )
    with ctx.db.transaction(write=False) as session:
        for platform, handle, s in session.execute(stmt).yield_per(1000):
            writer.writerow([
                platform, handle, _fmt(s.score, 2), _fmt(s.authenticity, 2), _fmt(s.fake_follower_share, 4),
                _fmt(s.fake_follower_share_low, 4), _fmt(s.fake_follower_share_high, 4), _fmt(s.reachable_share, 4),
                _fmt(s.engagement_rate, 5), s.estimated_reach if s.estimated_reach is not None else "",
                ";".join(s.flags), s.sample_size, _fmt(s.confidence, 3), s.as_of or "", s.model_version, s.run_id,
                s.creator_id,
            ])


@export.command("mentions")
@click.option("--workspace", "workspace_name", required=True)
@click.option("--brand", "brand_name", required=True)
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), help="First day (UTC), YYYY-MM-DD")
@pass_context
def export_mentions(ctx: Context, workspace_name: str, brand_name: str, since):
    """Write a brand's mentions as CSV to stdout, oldest first (matched_by: handle, hashtag or keyword)."""
    from influencers.brands import reports, service

    ws_id = workspace_id_by_name(ctx, workspace_name)
    writer = csv.writer(sys.stdout, lineterminator="\n")
    with ctx.db.transaction(write=False) as session:
        brand = service.find_brand(session, ws_id, brand_name)
        if brand is None:
            raise click.ClickException(f"no brand named {brand_name!r} in {workspace_name!r}")
        writer.writerow(reports.EXPORT_COLUMNS)
        for row in reports.export_rows(session, ws_id, brand, since.date() if since else None):
            writer.writerow(row)


def _fmt(value, digits: int) -> str:
    return "" if value is None else f"{value:.{digits}f}"

