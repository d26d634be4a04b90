"""HTTP routes for saved shortlists, overlap reports and the shortlist optimiser."""
from __future__ import annotations

from influencers import discovery
from influencers.api import unit_of_work
from influencers.api.auth import current_workspace_id, requires
from influencers.api.base import Blueprint, Listing, SQLPage, etag_of
from influencers.api.scoring.routes import discovery_query
from influencers.api.shortlists.documents import optimisation_document, overlap_document, sketch_overlap_document
from influencers.api.shortlists.schemas import (
    OptimisationRequest,
    OptimisationSchema,
    OverlapReportRequest,
    OverlapReportSchema,
    OverlapTargetArgs,
    ShortlistCreateSchema,
    ShortlistEntriesBody,
    ShortlistSchema,
    ShortlistUpdateSchema,
)
from influencers.shortlists import service, sketches
from influencers.shortlists.service import Target

blp = Blueprint("shortlists", __name__, url_prefix="/v1",
                description="Saved shortlists, audience overlap and unique reach, the shortlist optimiser")


class _Entry:
    def __init__(self, entry, platform, handle):
        self.creator_id, self.note, self.added_at = entry.creator_id, entry.note, entry.added_at
        self.platform, self.handle = platform, handle


def _view(shortlist):
    """The shortlist with each entry's platform and handle (one query for all entries)."""
    names = service.handles_of(unit_of_work.session(), shortlist.creator_ids)
    return {
        "id": shortlist.id, "name": shortlist.name, "notes": shortlist.notes,
        "creator_count": shortlist.creator_count, "created_at": shortlist.created_at,
        "updated_at": shortlist.updated_at, "version": shortlist.version,
        "entries": [_Entry(e, *names[e.creator_id]) for e in shortlist.entries],
    }


class ShortlistPage(SQLPage):
    @property
    def items(self):
        return [_view(s) for s in super().items]


def _shortlist(shortlist_id: int):
    return service.get_shortlist(unit_of_work.session(), current_workspace_id(), shortlist_id)


def _etag(shortlist):
    return etag_of("shortlist", shortlist.id, shortlist.version)


def _target(values: dict | None) -> Target:
    values = values or {}
    return Target(country=[c.upper() for c in values.get("country", [])], age_range=list(values.get("age_range", [])),
                  gender=list(values.get("gender", [])))


def _overlap(creator_ids, method: str, target: dict | None) -> dict:
    """The exact report, or (method=sketch) the one estimated from stored sketches (409 when there are none:
    they are built by scoring runs, not on the fly, so a report never pays for reading whole samples)."""
    session, workspace_id = unit_of_work.session(), current_workspace_id()
    if method != "sketch":
        report = overlap_document(service.overlap_for_creators(session, workspace_id, creator_ids,
                                                               target=_target(target)))
        report["estimation"] = "exact"
        return report
    return sketch_overlap_document(sketches.estimate_overlap(session, workspace_id, creator_ids))


# --- shortlists ----------------------------------------------------------------------------------

@blp.route("/shortlists", methods=["GET"], operation_id="listShortlists", summary="List saved shortlists, newest first")
@requires("read")
@blp.response(200, ShortlistSchema(many=True))
@blp.paginate(ShortlistPage)
def list_shortlists():
    return Listing(unit_of_work.session(), service.list_shortlists_select(current_workspace_id()))


@blp.route("/shortlists", methods=["POST"], operation_id="createShortlist", summary="Save a shortlist of creators")
@blp.etag
@requires("write")
@blp.arguments(ShortlistCreateSchema)
@blp.response(201, ShortlistSchema)
@blp.alt_response(422, description="Invalid body, or creators not in this workspace")
def create_shortlist(body):
    shortlist = service.create_shortlist(unit_of_work.session(), current_workspace_id(), body)
    blp.set_etag(_etag(shortlist))
    return _view(shortlist), 201, {"Location": f"/v1/shortlists/{shortlist.id}"}


@blp.route("/shortlists/<id:shortlist_id>", methods=["GET"], operation_id="getShortlist", summary="Read a shortlist")
@blp.etag
@requires("read")
@blp.response(200, ShortlistSchema)
def get_shortlist(shortlist_id):
    shortlist = _shortlist(shortlist_id)
    blp.set_etag(_etag(shortlist))
    return _view(shortlist)


@blp.route("/shortlists/<id:shortlist_id>", methods=["PATCH"], operation_id="updateShortlist",
           summary="Rename a shortlist or change its notes (If-Match required)")
@blp.etag
@requires("write")
@blp.arguments(ShortlistUpdateSchema)
@blp.response(200, ShortlistSchema)
def update_shortlist(changes, shortlist_id):
    shortlist = _shortlist(shortlist_id)
    blp.check_etag(_etag(shortlist))
    shortlist = service.update_shortlist(unit_of_work.session(), current_workspace_id(), shortlist_id,
                                         shortlist.version, changes)
    blp.set_etag(_etag(shortlist))
    return _view(shortlist)


@blp.route("/shortlists/<id:shortlist_id>", methods=["DELETE"], operation_id="deleteShortlist",
           summary="Delete a shortlist (If-Match required)")
@blp.etag
@requires("write")
@blp.response(204)
def delete_shortlist(shortlist_id):
    shortlist = _shortlist(shortlist_id)
    blp.check_etag(_etag(shortlist))
    service.delete_shortlist(unit_of_work.session(), current_workspace_id(), shortlist_id, shortlist.version)


@blp.route("/shortlists/<id:shortlist_id>/creators", methods=["POST"], operation_id="addShortlistCreators",
           summary="Add creators to a shortlist (an existing entry keeps its place; a given note replaces its note)")
@blp.etag
@requires("write")
@blp.arguments(ShortlistEntriesBody)
@blp.response(200, ShortlistSchema)
@blp.alt_response(422, description="Invalid body, creators not in this workspace, or more than 1000 entries")
def add_shortlist_creators(body, shortlist_id):
    shortlist = _shortlist(shortlist_id)
    shortlist = service.add_entries(unit_of_work.session(), current_workspace_id(), shortlist,
                                    service.entry_items(body))
    blp.set_etag(_etag(shortlist))
    return _view(shortlist)


@blp.route("/shortlists/<id:shortlist_id>/creators/<id:creator_id>", methods=["DELETE"],
           operation_id="removeShortlistCreator", summary="Remove a creator from a shortlist")
@requires("write")
@blp.response(204)
def remove_shortlist_creator(shortlist_id, creator_id):
    shortlist = _shortlist(shortlist_id)
    service.remove_entry(unit_of_work.session(), current_workspace_id(), shortlist, creator_id)


@blp.route("/shortlists/<id:shortlist_id>/overlap", methods=["GET"], operation_id="getShortlistOverlap",
           summary="The shortlist's audience overlap and unique reach report")
@requires("read")
@blp.arguments(OverlapTargetArgs, location="query", as_kwargs=True)
@blp.response(200, OverlapReportSchema)
@blp.alt_response(409, description="method=sketch: a creator's latest sample has no stored sketch (run a scoring run), "
                                   "or the sketches were built with different seeds")
@blp.alt_response(422, description="The shortlist's creators span several platforms")
def get_shortlist_overlap(shortlist_id, method="exact", **target):
    shortlist = _shortlist(shortlist_id)
    creator_ids = service.overlap_creator_ids(unit_of_work.session(), current_workspace_id(), shortlist)
    report = _overlap(creator_ids, method, target)
    report["shortlist_id"] = shortlist.id
    return report


# --- ad-hoc overlap and the optimiser -----------------------------------------------------------

@blp.route("/overlap-reports", methods=["POST"], operation_id="createOverlapReport", idempotent=False,
           summary="Audience overlap and unique reach of up to 500 creators of one platform (computed, not stored)")
@requires("read")
@blp.arguments(OverlapReportRequest)
@blp.response(200, OverlapReportSchema)
@blp.alt_response(409, description="method=sketch: a creator's latest sample has no stored sketch (run a scoring run), "
                                   "or the sketches were built with different seeds")
@blp.alt_response(422, description="Invalid body, creators not in this workspace, or creators of several platforms")
def create_overlap_report(body):
    return _overlap(body["creator_ids"], body.get("method", "exact"), body.get("target"))


def _search_candidates(search: dict, platform: str | None) -> list[int]:
    search = dict(search)
    limit = search.pop("limit")
    return discovery.matching_ids(unit_of_work.session(), current_workspace_id(),
                                  discovery_query(search, platform=platform), limit)


@blp.route("/shortlist-optimisations", methods=["POST"], operation_id="optimiseShortlist",
           summary="Choose the creators that maximise unique authentic reach within a budget or a count "
                   "(lazy greedy / CELF), compared with the naive pick by followers")
@requires("write")
@blp.arguments(OptimisationRequest)
@blp.response(200, OptimisationSchema)
@blp.alt_response(422, description="Invalid body, unknown creators, several platforms, or an infeasible request "
                                   "(e.g. the must-keep creators alone exceed the budget)")
def optimise_shortlist(body):
    session = unit_of_work.session()
    platform = body.get("platform")
    if "search" in body:
        candidates = _search_candidates(body["search"], platform)
    else:
        candidates = body["creator_ids"]
    fees = {int(k): v for k, v in (body.get("fees") or {}).items()}
    optimisation = service.optimise(
        session, current_workspace_id(), candidates, budget=body.get("budget_minor"), fees=fees,
        default_fee=body.get("default_fee_minor"), k=body.get("k"), target=_target(body.get("target")),
        must_keep=body["must_keep"], exclude=body["exclude"], platform=platform)
    result = optimisation_document(optimisation)
    result["currency"] = body.get("currency")
    result["shortlist_id"] = None
    if body.get("save_as"):
        shortlist = service.save_as_shortlist(
            session, current_workspace_id(), body["save_as"], optimisation.chosen_ids,
            note=f"Saved from the shortlist optimiser ({result['strategy']}, "
                 f"unique reach {result['unique_reach']:.0f}).")
        result["shortlist_id"] = shortlist.id
    return result
