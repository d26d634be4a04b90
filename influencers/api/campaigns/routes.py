"""HTTP routes for campaigns: the campaign itself, its brief versions, its creators and
deliverables, bulk results, the audit trail and the report (JSON and CSV).

State changes go through ``POST .../transitions`` with ``{"to": ..., "reason": ...}``
for campaigns, campaign creators and deliverables alike; an illegal one answers
409 with the allowed next statuses in ``errors.json.to``.
"""
from __future__ import annotations

from flask import Response

from influencers.api import unit_of_work
from influencers.api.auth import current_workspace_id, requires
from influencers.api.base import Blueprint, Listing, SQLPage
from influencers.api.campaigns import schemas as s
from influencers.api.campaigns.common import (
    OPTIONAL_IF_MATCH,
    brief_etag,
    campaign_creator_etag,
    campaign_etag,
    check_if_match,
    check_rate_card_version,
    key_id,
    load_campaign,
)
from influencers.brands.exclusivity import exclusivity_warnings
from influencers.campaigns import deliverables, report, service

blp = Blueprint("campaigns", __name__, url_prefix="/v1/campaigns",
                description="Campaigns: plan, brief, creators, deliverables, results and the report")

TRANSITION_409 = "Illegal transition: errors.json.to lists the allowed next statuses"


@blp.route("", methods=["GET"], operation_id="listCampaigns", summary="List campaigns, newest first")
@requires("read")
@blp.arguments(s.CampaignListArgs, location="query", as_kwargs=True)
@blp.response(200, s.CampaignSchema(many=True))
@blp.paginate(SQLPage)
def list_campaigns(status=None, q=None):
    return Listing(unit_of_work.session(), service.campaigns_select(current_workspace_id(), status, q))


@blp.route("", methods=["POST"], operation_id="createCampaign", summary="Create a campaign (status draft)")
@blp.etag
@requires("write")
@blp.arguments(s.CampaignCreateSchema)
@blp.response(201, s.CampaignSchema)
def create_campaign(body):
    campaign = service.create_campaign(unit_of_work.session(), current_workspace_id(), body, key_id())
    blp.set_etag(campaign_etag(campaign))
    return campaign, 201, {"Location": f"/v1/campaigns/{campaign.id}"}


@blp.route("/<id:campaign_id>", methods=["GET"], operation_id="getCampaign",
           summary="Read a campaign with its committed spend and budget warnings")
@blp.etag
@requires("read")
@blp.response(200, s.CampaignSchema)
def get_campaign(campaign_id):
    campaign = load_campaign(campaign_id)
    blp.set_etag(campaign_etag(campaign))
    return campaign


@blp.route("/<id:campaign_id>", methods=["PATCH"], operation_id="updateCampaign",
           summary="Update a campaign's plan (If-Match required)")
@blp.etag
@requires("write")
@blp.arguments(s.CampaignUpdateSchema)
@blp.response(200, s.CampaignSchema)
def update_campaign(changes, campaign_id):
    campaign = load_campaign(campaign_id)
    blp.check_etag(campaign_etag(campaign))
    campaign = service.update_campaign(unit_of_work.session(), current_workspace_id(), campaign,
                                       campaign.version, changes)
    blp.set_etag(campaign_etag(campaign))
    return campaign


@blp.route("/<id:campaign_id>/transitions", methods=["POST"], parameters=OPTIONAL_IF_MATCH,
           operation_id="transitionCampaign",
           summary="Change a campaign's status: draft -> active -> completed, or cancelled")
@blp.etag
@requires("write")
@blp.arguments(s.CampaignTransitionSchema)
@blp.response(200, s.CampaignSchema)
@blp.alt_response(409, description=TRANSITION_409)
@blp.alt_response(412, description="If-Match was given and is stale, or a concurrent change won")
def transition_campaign(body, campaign_id):
    campaign = load_campaign(campaign_id)
    check_if_match(campaign_etag(campaign), required=False)
    campaign = service.transition_campaign(unit_of_work.session(), current_workspace_id(), campaign,
                                           campaign.version, body["to"], body.get("reason"), key_id())
    blp.set_etag(campaign_etag(campaign))
    return campaign


@blp.route("/<id:campaign_id>/audit", methods=["GET"], operation_id="listCampaignAudit",
           summary="The campaign's audit trail: every status change, by which key, when and why")
@requires("read")
@blp.response(200, s.AuditEventSchema(many=True))
@blp.paginate(SQLPage)
def list_campaign_audit(campaign_id):
    load_campaign(campaign_id)
    return Listing(unit_of_work.session(), service.audit_select(current_workspace_id(), "campaign", campaign_id))


# --- briefs ----------------------------------------------------------------------------------------

BRIEF_IF_MATCH = [{
    "in": "header",
    "name": "If-Match",
    "required": False,
    "description": "The ETag of the latest brief version (answered by getBriefVersion and createBriefVersion). "
                   "Required (428 without) once the campaign has a brief; a stale one answers 412.",
    "schema": {"type": "string"},
}]

@blp.route("/<id:campaign_id>/briefs", methods=["GET"], operation_id="listBriefVersions",
           summary="List the campaign's brief versions, newest first")
@requires("read")
@blp.response(200, s.BriefSchema(many=True))
@blp.paginate(SQLPage)
def list_briefs(campaign_id):
    load_campaign(campaign_id)
    return Listing(unit_of_work.session(), service.briefs_select(campaign_id))


@blp.route("/<id:campaign_id>/briefs", methods=["POST"], operation_id="createBriefVersion", parameters=BRIEF_IF_MATCH,
           summary="Change the brief: adds a new version (If-Match with the latest version's ETag, once one exists)")
@blp.etag
@requires("write")
@blp.arguments(s.BriefCreateSchema)
@blp.response(201, s.BriefSchema)
@blp.alt_response(409, description="The campaign is completed or cancelled")
@blp.alt_response(412, description="Another version was added since the given ETag's (no silent overwrite)")
@blp.alt_response(428, description="A brief exists and If-Match is missing")
def create_brief(body, campaign_id):
    campaign = load_campaign(campaign_id)
    current = campaign.brief_version
    check_if_match(brief_etag(campaign.id, current), required=current > 0)
    brief = service.create_brief_version(unit_of_work.session(), current_workspace_id(), campaign, current,
                                         body, key_id())
    blp.set_etag(brief_etag(campaign.id, brief.version))
    return brief, 201, {"Location": f"/v1/campaigns/{campaign.id}/briefs/{brief.version}"}


@blp.route("/<id:campaign_id>/briefs/<id:brief_version>", methods=["GET"], operation_id="getBriefVersion",
           summary="Read one version of the brief (older versions stay readable)")
@blp.etag
@requires("read")
@blp.response(200, s.BriefSchema)
def get_brief(campaign_id, brief_version):
    load_campaign(campaign_id)
    brief = service.get_brief(unit_of_work.session(), campaign_id, brief_version)
    blp.set_etag(brief_etag(campaign_id, brief.version))
    return brief


# --- creators in the campaign ----------------------------------------------------------------------

def _with_warnings(campaign, ccs):
    warnings = service.spend(unit_of_work.session(), campaign).warnings
    for cc in ccs:
        cc.budget_warnings = warnings
    return warnings


@blp.route("/<id:campaign_id>/creators", methods=["GET"], operation_id="listCampaignCreators",
           summary="List the creators in a campaign with their pipeline status and fee")
@requires("read")
@blp.arguments(s.CampaignCreatorListArgs, location="query", as_kwargs=True)
@blp.response(200, s.CampaignCreatorSchema(many=True))
@blp.paginate(SQLPage)
def list_campaign_creators(campaign_id, status=None):
    load_campaign(campaign_id)
    return Listing(unit_of_work.session(),
                   service.campaign_creators_select(current_workspace_id(), campaign_id, status))


@blp.route("/<id:campaign_id>/creators", methods=["POST"], operation_id="addCampaignCreator",
           summary="Add one creator to a campaign (status shortlisted)")
@blp.etag
@requires("write")
@blp.arguments(s.CampaignCreatorAddSchema)
@blp.response(201, s.CampaignCreatorSchema)
@blp.alt_response(409, description="Already in the campaign, or the campaign is closed")
def add_campaign_creator(body, campaign_id):
    campaign = load_campaign(campaign_id)
    (cc,), _ = service.add_creators(unit_of_work.session(), current_workspace_id(), campaign, [body], key_id())
    _with_warnings(campaign, [cc])
    cc.exclusivity_warnings = exclusivity_warnings(
        unit_of_work.session(), current_workspace_id(), campaign, [cc.creator_id])[cc.creator_id]
    blp.set_etag(campaign_creator_etag(cc))
    return cc, 201, {"Location": f"/v1/campaign-creators/{cc.id}"}


@blp.route("/<id:campaign_id>/creators/bulk", methods=["POST"], operation_id="addCampaignCreators",
           summary="Add many creators at once, e.g. from a saved shortlist or an optimiser result")
@requires("write")
@blp.arguments(s.CampaignCreatorBulkSchema)
@blp.response(201, s.BulkAddResultSchema)
@blp.alt_response(409, description="A creator is already in the campaign (skip_existing false), or it is closed")
def add_campaign_creators(body, campaign_id):
    campaign = load_campaign(campaign_id)
    items = body.get("creators") or [{"creator_id": i} for i in body["creator_ids"]]
    added, existing = service.add_creators(
        unit_of_work.session(), current_workspace_id(), campaign, items, key_id(),
        source=body["source"], skip_existing=body["skip_existing"],
    )
    warnings = _with_warnings(campaign, added)
    exclusivity = exclusivity_warnings(unit_of_work.session(), current_workspace_id(), campaign,
                                       [cc.creator_id for cc in added])
    return {"added": added, "already_in_campaign": existing, "budget_warnings": warnings,
            "exclusivity_warnings": [w for cc in added for w in exclusivity[cc.creator_id]]}, 201


# --- deliverables, results, report -----------------------------------------------------------------

@blp.route("/<id:campaign_id>/deliverables", methods=["GET"], operation_id="listCampaignDeliverables",
           summary="List a campaign's deliverables by due date (overdue=true for the overdue ones)")
@requires("read")
@blp.arguments(s.CampaignDeliverableListArgs, location="query", as_kwargs=True)
@blp.response(200, s.DeliverableSchema(many=True))
@blp.paginate(SQLPage)
def list_campaign_deliverables(campaign_id, status=None, overdue=None):
    load_campaign(campaign_id)
    return Listing(unit_of_work.session(), deliverables.deliverables_select(
        current_workspace_id(), campaign_id=campaign_id, status=status, overdue=overdue))


@blp.route("/<id:campaign_id>/results/bulk", methods=["POST"], operation_id="importCampaignResults",
           summary="Bulk result import: results for many of the campaign's deliverables (source bulk_import)")
@requires("write")
@blp.arguments(s.BulkResultsSchema)
@blp.response(201, s.BulkResultsOutSchema)
def import_results(body, campaign_id):
    campaign = load_campaign(campaign_id)
    created = deliverables.import_results(unit_of_work.session(), current_workspace_id(), campaign, body["results"],
                                          key_id())
    return {"created": len(created), "results": created}, 201


REPORT_DESCRIPTION = (
    "Budget and committed spend, deliverables by status, the campaign totals with every KPI, targets against "
    "actuals, and the per-creator breakdown with each creator's deliverables. KPI formulas: see the Kpis "
    "schema; division by zero gives null."
)


@blp.route("/<id:campaign_id>/report", methods=["GET"], operation_id="getCampaignReport",
           summary="The campaign report: rollups, targets against actuals, per-creator breakdown (JSON)")
@requires("read")
@blp.arguments(s.KpiArgs, location="query", as_kwargs=True)
@blp.response(200, s.CampaignReportSchema, description=REPORT_DESCRIPTION)
def get_report(campaign_id, rate_card_version=None):
    campaign = load_campaign(campaign_id)
    check_rate_card_version(rate_card_version)
    return report.campaign_report(unit_of_work.session(), campaign, rate_card_version=rate_card_version)


@blp.route("/<id:campaign_id>/report.csv", methods=["GET"], operation_id="getCampaignReportCsv",
           summary="The campaign report as CSV: one row for the campaign, each creator and each deliverable")
@requires("read")
@blp.arguments(s.KpiArgs, location="query", as_kwargs=True)
@blp.doc(responses={"200": {
    "description": "CSV (RFC 4180) with a header row; the `level` column says campaign, creator or deliverable",
    "content": {"text/csv": {"schema": {"type": "string"}}},
}})
def get_report_csv(campaign_id, rate_card_version=None):
    campaign = load_campaign(campaign_id)
    check_rate_card_version(rate_card_version)
    data = report.campaign_report(unit_of_work.session(), campaign, rate_card_version=rate_card_version)
    return Response(report.report_csv(data), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="campaign-{campaign.id}-report.csv"'})


def blueprints():
    """Every campaign-management blueprint, for the app factory."""
    from influencers.api.campaigns.creators_routes import blp as campaign_creators
    from influencers.api.campaigns.deliverables_routes import blp as deliverables_blp
    from influencers.api.campaigns.ratecards_routes import blp as rate_cards

    return [blp, campaign_creators, deliverables_blp, rate_cards]
