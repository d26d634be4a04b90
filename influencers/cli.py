"""The ``influencers`` console script: what operators and analysts do without writing HTTP.

The database comes from ``INFLUENCERS_DATABASE_URL`` (or ``DATABASE_URL``), with
the same default as the server.
"""
from __future__ import annotations

import csv
import json
import os
import sys
from pathlib import Path

import click

from influencers.config import ConfigurationError, load_settings
from influencers.creators.models import PLATFORMS as PLATFORM_CHOICES
from influencers.db import Database


class Context:
    def __init__(self):
        try:
            self.settings = load_settings()
        except ConfigurationError as error:
            raise click.ClickException(str(error)) from None
        self._db = None

    @property
    def db(self) -> Database:
        if self._db is None:
            self._db = Database(self.settings.database_url)
        return self._db


pass_context = click.make_pass_decorator(Context, ensure=True)


_MISSING_SCHEMA_SQLSTATES = {"42P01", "42703"}  # PostgreSQL: undefined table, undefined column


def _missing_schema(error: BaseException) -> bool:
    """True when ``error`` (or what it wraps) says a table or column does not exist."""
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if getattr(error, "sqlstate", None) in _MISSING_SCHEMA_SQLSTATES:
            return True
        text = str(error).lower()
        if type(error).__name__ == "OperationalError" and ("no such table" in text or "no such column" in text):
            return True
        error = getattr(error, "orig", None) or error.__cause__ or error.__context__
    return False


class _Commands(click.Group):
    """Every command on a database that was never migrated (or is behind) says what to do, in one line."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except Exception as error:
            if isinstance(error, click.ClickException) or not _missing_schema(error):
                raise
            raise click.ClickException(
                "the database has no (or an older) schema: run `influencers db upgrade` first") from None


@click.group(cls=_Commands)
def main():
    """influencers: creator discovery, scoring and campaigns."""
    from influencers.assembly import assemble

    assemble()


def _workspace_id(ctx: Context, name: str) -> int:
    from influencers.workspaces import service

    with ctx.db.transaction(write=False) as session:
        try:
            return service.find_workspace(session, name).id
        except service.UnknownWorkspace:
            raise click.ClickException(f"no workspace named {name!r} (create it with `influencers workspace create`)")


# --- database ---------------------------------------------------------------------------------

@main.group()
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


# --- workspaces and keys ----------------------------------------------------------------------

@main.group()
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
            raise click.ClickException(f"workspace {name!r} already exists")
        ws_id = ws.id
    click.echo(f"workspace {name!r} created (id {ws_id})")
    click.echo(f"admin key (shown once, store it now): {plaintext}")


@main.group()
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

    ws_id = _workspace_id(ctx, workspace_name)
    with ctx.db.transaction() as session:
        _key, plaintext = service.create_key(session, ws_id, role=role, name=name or f"{role} key (cli)")
    click.echo(plaintext)


@main.group()
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


# --- import -----------------------------------------------------------------------------------

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


@main.command("import")
@click.option("--workspace", "workspace_name", required=True)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON")
@click.option("--allow-partial", is_flag=True,
              help="Exit 0 even when some lines were rejected (the valid ones are stored either way)")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_context
def import_command(ctx: Context, workspace_name: str, file: Path, as_json: bool, allow_partial: bool):
    """Import an NDJSON FILE into a workspace (no size limit), with a progress bar.

    Exits 1 when the file holds no records, or when lines were rejected (unless --allow-partial)."""
    ws_id = _workspace_id(ctx, workspace_name)
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


# --- brands -----------------------------------------------------------------------------------

@main.group()
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
    from influencers.jobs import runner

    ws_id = _workspace_id(ctx, workspace_name)
    try:
        items = BrandFileItemSchema(many=True).load(json.loads(file.read_text(encoding="utf-8")))
    except json.JSONDecodeError as error:
        raise click.ClickException(f"{file} is not JSON: {error}")
    except ma.ValidationError as error:
        raise click.ClickException(f"{file} is not a list of brands: {json.dumps(error.messages)}")
    try:
        with ctx.db.transaction() as session:
            report = service.import_brands(session, ws_id, items)
    except service.Invalid as error:
        raise click.ClickException(f"{error.field_name}: {error.message}")
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


# --- demo -------------------------------------------------------------------------------------

@main.command("demo")
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


# --- scoring ----------------------------------------------------------------------------------

@main.command("score")
@click.option("--workspace", "workspace_name", required=True)
@pass_context
def score(ctx: Context, workspace_name: str):
    """Score every creator of a workspace (a stored scoring run, kept in history)."""
    from influencers.scoring import runs

    ws_id = _workspace_id(ctx, workspace_name)
    with click.progressbar(length=3, label="scoring", file=sys.stderr) as bar:
        run_id = runs.create_run(ctx.db, ws_id)
        bar.update(1)
        result = runs.execute_run_here(ctx.db, ws_id, run_id, report_progress=lambda f: None)
        bar.update(2)
    click.echo(f"scoring run {run_id}: {result['creators_scored']} creators scored with model "
               f"{result['model_version']} (read {result['read_seconds']}s, compute {result['compute_seconds']}s)")


@main.group()
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

    ctx.db.settings = ctx.settings
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


EXPORT_COLUMNS = ["platform", "handle", "score", "authenticity", "fake_follower_share", "fake_follower_share_low",
                  "fake_follower_share_high", "reachable_share", "engagement_rate", "estimated_reach", "flags",
                  "sample_size", "confidence", "as_of", "model_version", "run_id", "creator_id"]


@main.group()
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

    ws_id = _workspace_id(ctx, workspace_name)
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

    ws_id = _workspace_id(ctx, workspace_name)
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


@main.command("evaluate")
@click.option("--creators", default=2000, show_default=True, type=click.IntRange(50, 100_000))
@click.option("--seed", default=7, show_default=True, type=int)
def evaluate(creators: int, seed: int):
    """Score a labelled demo data set and print ROC AUC, Spearman and top-50 precision."""
    from influencers import evaluation

    evaluation.main(["--creators", str(creators), "--seed", str(seed)])


# --- jobs -------------------------------------------------------------------------------------

@main.group()
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


# --- serve / openapi --------------------------------------------------------------------------

@main.command("openapi")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None)
def openapi(output: Path | None):
    """Print (or write) the OpenAPI document the code generates."""
    from influencers.openapi import render_openapi

    text = render_openapi()
    if output:
        output.write_text(text)
    else:
        click.echo(text, nl=False)


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=None, type=click.IntRange(1), help="Processes (default: INFLUENCERS_WORKERS or 2)")
@click.option("--threads", default=None, type=click.IntRange(1),
              help="Threads per process (default: INFLUENCERS_THREADS or 8)")
@click.option("--start-timeout", default=180, show_default=True, type=float,
              help="Seconds to wait for the server to answer before giving up")
def serve(host: str, port: int, workers: int | None, threads: int | None, start_timeout: float):
    """Run the API under gunicorn with its configuration (influencers/serving/gunicorn_conf.py);
    prints the URLs once the server answers."""
    import signal
    import subprocess
    import time
    import urllib.request

    from influencers.serving import gunicorn_conf

    command = [sys.executable, "-m", "gunicorn", "--config", gunicorn_conf.__file__, "--bind", f"{host}:{port}",
               "--access-logfile", "-"]
    if workers:
        command += ["--workers", str(workers)]
    if threads:
        command += ["--threads", str(threads)]
    server = subprocess.Popen([*command, "influencers.app:create_app()"])
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, lambda received, _frame: server.send_signal(received))
    probe_host = "127.0.0.1" if host in ("0.0.0.0", "") else ("[::1]" if host == "::" else host)
    deadline = time.monotonic() + start_timeout
    try:
        while server.poll() is None:
            try:
                with urllib.request.urlopen(f"http://{probe_host}:{port}/health", timeout=1):
                    pass
            except OSError:
                if time.monotonic() > deadline:
                    server.terminate()
                    raise click.ClickException(f"the server did not answer on {host}:{port} within "
                                               f"{start_timeout:g} s")
                time.sleep(0.2)
                continue
            base = f"http://{probe_host}:{port}"
            click.echo(f"\nAPI:  {base}/v1\nDocs: {base}/docs\n"
                       f"curl -H 'Authorization: Bearer <key>' {base}/v1/creators\n", err=True)
            break
        code = server.wait()
    except KeyboardInterrupt:  # the terminal sent SIGINT to gunicorn too
        code = server.wait()
    if code:
        sys.exit(code)


# --- shortlist optimiser and creator graph ----------------------------------------------------

@main.command("optimise")
@click.option("--workspace", "workspace_name", required=True)
@click.option("--platform", required=True, help="Candidates: the workspace's creators on this platform")
@click.option("--k", "k", type=click.IntRange(1, 1000), default=None, help="Choose at most K creators")
@click.option("--budget", type=click.IntRange(0), default=None, help="Budget in minor units (cents)")
@click.option("--fees", "fees_file", type=click.File("r", encoding="utf-8"), default=None,
              help="CSV with columns handle,fee_minor: the candidates and their fees (default: the --limit "
                   "creators with most followers)")
@click.option("--default-fee", type=click.IntRange(0), default=None,
              help="Fee in minor units of every candidate without one in --fees")
@click.option("--keep", "keep_handles", multiple=True, help="Handle that must be in the result (repeatable)")
@click.option("--exclude", "exclude_handles", multiple=True, help="Handle never to choose (repeatable)")
@click.option("--country", multiple=True, help="Target audience country (repeatable): count only those members")
@click.option("--limit", type=click.IntRange(1, 20000), default=2000, show_default=True,
              help="Without --fees: how many creators (most followers first) are candidates")
@click.option("--save-as", default=None, help="Save the chosen creators as a shortlist of this name")
@click.option("--json", "as_json", is_flag=True, help="Print the full result as JSON")
@pass_context
def optimise(ctx: Context, workspace_name: str, platform: str, k: int | None, budget: int | None, fees_file,
             default_fee: int | None, keep_handles: tuple[str, ...], exclude_handles: tuple[str, ...],
             country: tuple[str, ...], limit: int, save_as: str | None, as_json: bool):
    """Choose the creators that maximise unique authentic reach (within --k and/or --budget)."""
    from sqlalchemy import select

    from influencers.creators.models import Creator, normalise_handle
    from influencers.api.shortlists.documents import optimisation_document
    from influencers.shortlists import service

    if k is None and budget is None:
        raise click.UsageError("give --k, or --budget with --fees and/or --default-fee")
    if budget is not None and default_fee is None and fees_file is None:
        raise click.UsageError("--budget needs --fees or --default-fee")
    fees_by_handle = _read_fees(fees_file) if fees_file is not None else {}
    ws_id = _workspace_id(ctx, workspace_name)
    with ctx.db.transaction() as session:
        named = {normalise_handle(h) for h in (*fees_by_handle, *keep_handles, *exclude_handles)}
        ids_by_handle = dict(session.execute(
            select(Creator.handle, Creator.id).where(Creator.workspace_id == ws_id, Creator.platform == platform,
                                                     Creator.handle.in_(sorted(named)))).all()) if named else {}
        unknown = sorted(named - set(ids_by_handle))
        if unknown:
            raise click.ClickException(f"no {platform} creators {', '.join(unknown[:20])} in workspace "
                                       f"{workspace_name!r}")

        def ids_of(handles) -> list[int]:
            return [ids_by_handle[normalise_handle(h)] for h in handles]

        if fees_file is not None:
            candidates = ids_of(fees_by_handle)
        else:
            candidates = list(session.scalars(
                select(Creator.id).where(Creator.workspace_id == ws_id, Creator.platform == platform)
                .order_by(Creator.followers.desc(), Creator.id).limit(limit)))
        if not candidates:
            raise click.ClickException(f"no {platform} creators in workspace {workspace_name!r}")
        fees = dict(zip(ids_of(fees_by_handle), fees_by_handle.values()))
        try:
            optimisation = service.optimise(session, ws_id, [*candidates, *ids_of(exclude_handles)], budget=budget,
                                             fees=fees, default_fee=default_fee, k=k,
                                             target=service.Target(country=[c.upper() for c in country]),
                                             must_keep=ids_of(keep_handles), exclude=ids_of(exclude_handles),
                                             platform=platform)
        except service.InfeasibleOptimisation as error:
            raise click.ClickException(str(error))
        result = optimisation_document(optimisation)
        if save_as:
            shortlist = service.save_as_shortlist(session, ws_id, save_as, optimisation.chosen_ids,
                                                  note=f"Saved by `influencers optimise` ({result['strategy']}).")
            result["shortlist_id"] = shortlist.id
    if as_json:
        click.echo(json.dumps(result, indent=2, default=str))
        return
    click.echo(f"{'#':>3}  {'creator':>8}  {'handle':<24} {'followers':>11} {'marginal reach':>15} "
               f"{'cost':>10} {'cumulative reach':>17}")
    for rank, p in enumerate(result["picks"], 1):
        click.echo(f"{rank:>3}  {p['creator_id']:>8}  {p['handle'][:24]:<24} {p['followers']:>11,} "
                   f"{p['marginal_reach']:>15,.0f} {p['cost_minor']:>10,} {p['cumulative_reach']:>17,.0f}"
                   + ("  (kept)" if p["must_keep"] else ""))
    naive = result["naive"]
    click.echo(f"unique authentic reach {result['unique_reach']:,.0f} for {result['total_cost_minor']:,} "
               f"({result['strategy']}); naive pick by followers: {naive['unique_reach']:,.0f} for "
               f"{naive['total_cost_minor']:,}")
    if result.get("shortlist_id"):
        click.echo(f"saved as shortlist {result['shortlist_id']}")



def _read_fees(file) -> dict[str, int]:
    """handle -> fee in minor units, from a CSV with a header naming ``handle`` and ``fee_minor``."""
    from influencers.creators.models import normalise_handle

    reader = csv.DictReader(file)
    if not reader.fieldnames or not {"handle", "fee_minor"} <= {f.strip() for f in reader.fieldnames}:
        raise click.BadParameter("the CSV needs a header with the columns handle and fee_minor", param_hint="--fees")
    fees: dict[str, int] = {}
    for line, row in enumerate(reader, start=2):
        row = {key.strip(): (value or "").strip() for key, value in row.items() if key}
        handle, fee = normalise_handle(row.get("handle", "")), row.get("fee_minor", "")
        if not handle:
            raise click.BadParameter(f"line {line}: no handle", param_hint="--fees")
        if not fee.isdigit():
            raise click.BadParameter(f"line {line}: fee_minor must be a whole number >= 0 (minor units), "
                                     f"not {fee!r}", param_hint="--fees")
        if handle in fees:
            raise click.BadParameter(f"line {line}: {handle} is listed twice", param_hint="--fees")
        fees[handle] = int(fee)
    if not fees:
        raise click.BadParameter("no creators in the file", param_hint="--fees")
    return fees


@main.group()
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

    ws_id = _workspace_id(ctx, workspace_name)
    with ctx.db.transaction(write=False) as session:
        data, _content_type = service.export_graph(session, ws_id, platform, fmt, kinds=list(kinds) or None)
    sys.stdout.flush()
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()


# --- personal data ----------------------------------------------------------------------------

@main.group()
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
    ws_id = _workspace_id(ctx, workspace_name)
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


if __name__ == "__main__":
    main()


def _register_model_commands() -> None:
    from influencers.calibration.cli import model

    main.add_command(model)


_register_model_commands()
