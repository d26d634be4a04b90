"""The ``influencers`` console script: what operators and analysts do without writing HTTP.

The command groups live in this package's modules, one per area; they are assembled
onto :func:`main` here. The database comes from ``INFLUENCERS_DATABASE_URL`` (or
``DATABASE_URL``), with the same default as the server.
"""
from __future__ import annotations

import click

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


# The assembly: every command group onto ``main`` (imported here, after ``main`` exists).
from influencers.cli import (  # noqa: E402
    brands,
    exports,
    graph,
    imports,
    maintenance,
    model,
    privacy,
    scoring,
    serving,
    shortlists,
    webhooks,
    workspaces,
)

main.add_command(maintenance.db)
main.add_command(maintenance.idempotency)
main.add_command(maintenance.jobs)
main.add_command(workspaces.workspace)
main.add_command(workspaces.key)
main.add_command(imports.import_command)
main.add_command(imports.demo)
main.add_command(brands.brands)
main.add_command(scoring.score)
main.add_command(scoring.evaluate)
main.add_command(webhooks.webhooks)
main.add_command(exports.export)
main.add_command(serving.openapi)
main.add_command(serving.serve)
main.add_command(shortlists.optimise)
main.add_command(graph.graph)
main.add_command(privacy.privacy)
main.add_command(model.model)
