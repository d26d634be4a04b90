"""``influencers model ...``: list, show, diff, train, compare and activate scoring model versions."""
from __future__ import annotations

import json
from pathlib import Path

import click

from influencers.cli.context import Context, pass_context, workspace_id_by_name


@click.group("model")
def model():
    """Scoring model versions: list, show, diff, train, compare, activate (and roll back)."""


def _version(session, ws_id: int, name: str):
    from influencers.calibration import versions

    record = versions.find_version(session, ws_id, name)
    if record is None:
        raise click.ClickException(
            f"no scoring model version {name!r} in this workspace (see `influencers model list`)")
    return record


@model.command("list")
@click.option("--workspace", "workspace_name", required=True)
@pass_context
def list_versions(ctx: Context, workspace_name: str):
    """List the workspace's versions (* marks the active one)."""
    from influencers.calibration import versions

    ws_id = workspace_id_by_name(ctx, workspace_name)
    with ctx.db.transaction() as session:
        versions.active_version(session, ws_id)
        for record in session.scalars(versions.versions_select(ws_id)):
            classifier = versions.classifier_of(session, record.id)
            click.echo(f"{'*' if record.is_active else ' '} {record.version:<24} {record.source:<9} "
                       f"{classifier.kind if classifier else '-':<9} {record.created_at:%Y-%m-%d %H:%M}  "
                       f"{record.description or ''}")


@model.command("show")
@click.option("--workspace", "workspace_name", required=True)
@click.argument("version")
@pass_context
def show(ctx: Context, workspace_name: str, version: str):
    """Print a version's document (JSON; `influencers`' API imports it as is)."""
    from influencers.calibration import versions

    ws_id = workspace_id_by_name(ctx, workspace_name)
    with ctx.db.transaction(write=False) as session:
        record = _version(session, ws_id, version)
        document = versions.document(session, record)
        classifier = versions.classifier_of(session, record.id)
        if classifier is not None and classifier.training:
            document["training"] = classifier.training
    click.echo(json.dumps(document, indent=2, default=str))


@model.command("diff")
@click.option("--workspace", "workspace_name", required=True)
@click.option("--against", help="the version compared with (default: the active one)")
@click.argument("version")
@pass_context
def diff(ctx: Context, workspace_name: str, version: str, against: str | None):
    """What changed from AGAINST to VERSION, number by number."""
    from influencers.calibration import versions

    ws_id = workspace_id_by_name(ctx, workspace_name)
    with ctx.db.transaction() as session:
        left = _version(session, ws_id, version)
        right = _version(session, ws_id, against) if against else versions.active_version(session, ws_id)
        changes = versions.diff(session, left, right)
    for change in changes:
        click.echo(f"{change['path']}: {json.dumps(change['from'])} -> {json.dumps(change['to'])}")
    if not changes:
        click.echo("no differences")


def _write_plots(document: dict, output_dir: Path | None, stem: str) -> None:
    from influencers.calibration import comparison

    if output_dir is None:
        return
    output_dir.mkdir(parents=True, exist_ok=True)
    for name in comparison.PLOTS:
        path = output_dir / f"{stem}-{name}.png"
        path.write_bytes(comparison.plot(document, name))
        click.echo(f"wrote {path}")


def _stored_comparison(ctx: Context, comparison_id: int) -> dict:
    from influencers.calibration.models import ModelComparison

    with ctx.db.transaction(write=False) as session:
        return session.get(ModelComparison, comparison_id).result


def _activate(ctx: Context, ws_id: int, version: str) -> None:
    from influencers.calibration import versions
    from influencers.scoring import runs

    with ctx.db.transaction() as session:
        record = _version(session, ws_id, version)
        try:
            activation = versions.activate(session, ws_id, record, key_id=None)
        except versions.ModelUnloadable as refused:
            raise click.ClickException(f"{version} cannot be loaded: {refused.rejected}") from None
        run_id = activation.run_id
    result = runs.execute_run_here(ctx.db, ws_id, run_id)
    click.echo(f"activated {version}; scoring run {run_id}: {result['creators_scored']} creators re-scored")


@model.command("train")
@click.option("--workspace", "workspace_name", required=True)
@click.option("--kind", type=click.Choice(["auto", "logistic", "boosted"]), default="auto", show_default=True)
@click.option("--activate", "activate_it", is_flag=True, help="activate the new version and re-score")
@click.option("--output-dir", type=click.Path(file_okay=False, path_type=Path),
              help="write the comparison pictures (PNG) here")
@pass_context
def train(ctx: Context, workspace_name: str, kind: str, activate_it: bool, output_dir: Path | None):
    """Train a version on the workspace's labels, compare it with the active one and print the
    comparison; the new version's name is the last line."""
    from influencers.calibration import comparison
    from influencers.calibration.jobs import train_workspace
    from influencers.calibration.training import NotEnoughLabels

    ws_id = workspace_id_by_name(ctx, workspace_name)
    try:
        result = train_workspace(ctx.db, ws_id, kind=kind)
    except NotEnoughLabels as error:
        raise click.ClickException(str(error)) from None
    training = result["training"]
    click.echo(f"trained on {training['labels']['fraud']} fraud and {training['labels']['clean']} clean labels; "
               f"folds: {training['cross_validation']['folds']}")
    for name, cv in training["cross_validation"]["candidates"].items():
        click.echo(f"  {name}: cross-validated ROC AUC {cv['roc_auc']}")
    for warning in training["warnings"]:
        click.echo(f"warning: {warning}")
    click.echo(f"chosen: {result['kind']}")
    document = _stored_comparison(ctx, result["comparison_id"])
    click.echo(comparison.table(document))
    _write_plots(document, output_dir, result["version"])
    if activate_it:
        _activate(ctx, ws_id, result["version"])
    click.echo(result["version"])


@model.command("compare")
@click.option("--workspace", "workspace_name", required=True)
@click.option("--against", help="the baseline version (default: the active one)")
@click.option("--output-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
              show_default=True, help="where the pictures (PNG) go")
@click.option("--json", "as_json", is_flag=True, help="print the comparison as JSON")
@click.argument("version")
@pass_context
def compare(ctx: Context, workspace_name: str, version: str, against: str | None, output_dir: Path, as_json: bool):
    """Compare VERSION with the active one (or AGAINST) on the same folds of the labels."""
    from influencers.calibration import comparison, versions
    from influencers.calibration.jobs import create_comparison, run_comparison_here
    from influencers.calibration.training import NotEnoughLabels

    ws_id = workspace_id_by_name(ctx, workspace_name)
    with ctx.db.transaction() as session:
        candidate = _version(session, ws_id, version)
        baseline = _version(session, ws_id, against) if against else versions.active_version(session, ws_id)
        candidate_id, baseline_id = candidate.id, baseline.id
    comparison_id = create_comparison(ctx.db, ws_id, candidate_id, baseline_id)
    try:
        summary = run_comparison_here(ctx.db, ws_id, comparison_id)
    except NotEnoughLabels as error:
        raise click.ClickException(str(error)) from None
    document = _stored_comparison(ctx, comparison_id)
    click.echo(json.dumps(summary, indent=2) if as_json else comparison.table(document))
    _write_plots(document, output_dir, f"{version}-vs-{document['baseline']['version']}")


@model.command("activate")
@click.option("--workspace", "workspace_name", required=True)
@click.argument("version")
@pass_context
def activate(ctx: Context, workspace_name: str, version: str):
    """Activate VERSION (an earlier one rolls back) and re-score the workspace with it."""
    _activate(ctx, workspace_id_by_name(ctx, workspace_name), version)
