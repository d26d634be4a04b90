"""The shortlist optimiser: the creators that maximise unique authentic reach within a budget."""
from __future__ import annotations

import csv
import json

import click

from influencers.cli.context import Context, pass_context, workspace_id_by_name


@click.command("optimise")
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

    from influencers.api.shortlists.documents import optimisation_document
    from influencers.creators.models import Creator, normalise_handle
    from influencers.shortlists import service

    if k is None and budget is None:
        raise click.UsageError("give --k, or --budget with --fees and/or --default-fee")
    if budget is not None and default_fee is None and fees_file is None:
        raise click.UsageError("--budget needs --fees or --default-fee")
    fees_by_handle = _read_fees(fees_file) if fees_file is not None else {}
    ws_id = workspace_id_by_name(ctx, workspace_name)
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
            raise click.ClickException(str(error)) from None
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


