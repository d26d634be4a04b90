"""NDJSON imports, and the demo data set (generated, imported and scored)."""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from influencers.cli.context import Context, pass_context, workspace_id_by_name


def _import_file(ctx: Context, ws_id: int, path: Path):
    from tqdm import tqdm

    from influencers.imports.importer import run_import

    size = path.stat().st_size
    with path.open("rb") as fh, tqdm(total=size, unit="B", unit_scale=True, desc="import", file=sys.stderr,
                                     disable=None) as bar:
        report = run_import(ctx.db, ws_id, fh, secret=ctx.settings.pseudonym_secret, progress=bar.update)
    return report


def _print_report(report) -> None:
    from dataclasses import asdict

    data = asdict(report)
    click.echo(f"lines read: {data['lines_read']}")
    for record_type, counts in data["stored"].items():
        click.echo(f"  {record_type}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    click.echo(f"rejected: {data['rejected_count']}")
    for rejected in data["rejected"][:50]:
        click.echo(f"  line {rejected['line']}: {rejected['reason']}")
    if data["rejected_count"] > 50:
        click.echo(f"  ... and {data['rejected_count'] - 50} more")


@click.command("import")
@click.option("--workspace", "workspace_name", required=True)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON")
@click.option("--allow-partial", is_flag=True,
              help="Exit 0 even when some lines were rejected (the valid ones are stored either way)")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_context
def import_command(ctx: Context, workspace_name: str, file: Path, as_json: bool, allow_partial: bool):
    """Import an NDJSON FILE into a workspace (no size limit), with a progress bar.

    Exits 1 when the file holds no records, or when lines were rejected (unless --allow-partial)."""
    ws_id = workspace_id_by_name(ctx, workspace_name)
    report = _import_file(ctx, ws_id, file)
    if as_json:
        from dataclasses import asdict

        click.echo(json.dumps(asdict(report), default=str, indent=2))
    else:
        _print_report(report)
    if report.lines_read == report.blank_lines:
        raise click.ClickException(f"{file} holds no records")
    if report.rejected_count and not allow_partial:
        raise click.ClickException(
            f"{report.rejected_count} lines rejected (the valid lines were stored); "
            "fix them and import again, or pass --allow-partial to accept a partial import")


@click.command("demo")
@click.option("--workspace", "workspace_name", default="demo", show_default=True)
@click.option("--creators", default=300, show_default=True, type=click.IntRange(1, 1_000_000))
@click.option("--seed", default=7, show_default=True, type=int)
@click.option("--key-file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where the demo's admin key is kept between runs (default: demo-admin-key beside the SQLite "
                   "database, else ./instance/demo-admin-key)")
@pass_context
def demo(ctx: Context, workspace_name: str, creators: int, seed: int, key_file: Path | None):
    """Generate the seeded demo data set and import it into a demo workspace; prints its admin key.

    Run again, it reuses the admin key it made the first time (kept in --key-file) while that
    key still works, and says so when it has to make a new one.
    """
    import tempfile

    from influencers import migrate
    from influencers.config import default_instance_dir
    from influencers.demo.generator import DemoConfig, write_ndjson
    from influencers.workspaces import service

    key_file = key_file or default_instance_dir(ctx.settings.database_url) / "demo-admin-key"
    migrate.upgrade(ctx.db.engine)
    with ctx.db.transaction() as session:
        try:
            ws = service.find_workspace(session, workspace_name)
            kept = key_file.read_text().strip() if key_file.exists() else ""
            principal = service.authenticate(session, kept) if kept else None
            if principal is not None and principal.workspace_id == ws.id and principal.role == "admin":
                plaintext, key_note = kept, f"(the demo's key, kept in {key_file})"
            else:
                _key, plaintext = service.create_key(session, ws.id, role="admin", name="demo admin key")
                key_note = (f"(a NEW key: the workspace existed but {key_file} held no working admin key of it; "
                            f"kept there now)")
        except service.UnknownWorkspace:
            ws, _key, plaintext = service.create_workspace(session, workspace_name)
            key_note = f"(new workspace; the key is kept in {key_file} for the next runs)"
        ws_id = ws.id
    key_file.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(plaintext + "\n")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "demo.ndjson"
        click.echo(f"generating {creators} creators (seed {seed}) ...", err=True)
        write_ndjson(DemoConfig(creators=creators, seed=seed), path)
        report = _import_file(ctx, ws_id, path)
    _print_report(report)
    from influencers.scoring import runs

    run_id = runs.score_workspace(ctx.db, ws_id)
    click.echo(f"scored: scoring run {run_id}")
    click.echo(f"workspace: {workspace_name}")
    click.echo(f"admin key: {plaintext}")
    click.echo(key_note)


