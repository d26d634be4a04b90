"""Scoring runs and the scoring engine's evaluation on labelled demo data."""
from __future__ import annotations

import sys

import click

from influencers.cli.context import Context, pass_context, workspace_id_by_name


@click.command("score")
@click.option("--workspace", "workspace_name", required=True)
@click.option("--chunk-size", type=click.IntRange(min=1), default=None,
              help="Score at most this many creators at a time, in two passes (bounded memory; the same "
                   "scores). Default: the INFLUENCERS_SCORING_CHUNK_SIZE setting (20,000).")
@pass_context
def score(ctx: Context, workspace_name: str, chunk_size: int | None):
    """Score every creator of a workspace (a stored scoring run, kept in history)."""
    from influencers.scoring import runs

    ws_id = workspace_id_by_name(ctx, workspace_name)
    options = {} if chunk_size is None else {"chunk_size": chunk_size}
    with click.progressbar(length=3, label="scoring", file=sys.stderr) as bar:
        run_id = runs.create_run(ctx.db, ws_id)
        bar.update(1)
        result = runs.execute_run_here(ctx.db, ws_id, run_id, report_progress=lambda f: None, **options)
        bar.update(2)
    if "chunks" in result:
        phases = f"first pass {result['first_pass_seconds']}s, {result['chunks']} chunks"
    else:
        phases = f"read {result['read_seconds']}s"
    click.echo(f"scoring run {run_id}: {result['creators_scored']} creators scored with model "
               f"{result['model_version']} ({phases}, compute {result['compute_seconds']}s)")


@click.command("evaluate")
@click.option("--creators", default=2000, show_default=True, type=click.IntRange(50, 100_000))
@click.option("--seed", default=7, show_default=True, type=int)
def evaluate(creators: int, seed: int):
    """Score a labelled demo data set and print ROC AUC, Spearman and top-50 precision."""
    from influencers import evaluation

    evaluation.main(["--creators", str(creators), "--seed", str(seed)])


