"""HTTP routes for one creator in a campaign: fee and notes, pipeline status, deliverables, KPIs, audit."""
from __future__ import annotations

from influencers.api import unit_of_work
from influencers.api.auth import current_workspace_id, requires
from influencers.api.base import Blueprint, Listing, SQLPage
from influencers.api.campaigns import schemas as s
from influencers.api.campaigns.common import (
    OPTIONAL_IF_MATCH,
    campaign_creator_etag,
    check_if_match,
    check_rate_card_version,
    deliverable_etag,
    key_id,
    load_campaign,
    load_campaign_creator,
)
from influencers.campaigns import deliverables, report, service

blp = Blueprint("campaign_creators", __name__, url_prefix="/v1/campaign-creators",
                description="Creators in campaigns: fees, pipeline status, deliverables")


def _warn(cc):
    campaign = load_campaign(cc.campaign_id)
    cc.budget_warnings = service.spend(unit_of_work.session(), campaign).warnings
    return cc


@blp.route("/<id:campaign_creator_id>", methods=["GET"], operation_id="getCampaignCreator",
           summary="Read a creator's place in a campaign")
@blp.etag
@requires("read")
@blp.response(200, s.CampaignCreatorSchema)
def get_campaign_creator(campaign_creator_id):
    cc = load_campaign_creator(campaign_creator_id)
    blp.set_etag(campaign_creator_etag(cc))
    return cc


@blp.route("/<id:campaign_creator_id>", methods=["PATCH"], operation_id="updateCampaignCreator",
           summary="Update a campaign creator's fee, currency or notes (If-Match required)")
@blp.etag
@requires("write")
@blp.arguments(s.CampaignCreatorUpdateSchema)
@blp.response(200, s.CampaignCreatorSchema)
def update_campaign_creator(changes, campaign_creator_id):
    cc = load_campaign_creator(campaign_creator_id)
    blp.check_etag(campaign_creator_etag(cc))
    cc = service.update_campaign_creator(unit_of_work.session(), current_workspace_id(), cc, cc.version, changes)
    blp.set_etag(campaign_creator_etag(cc))
    return _warn(cc)


@blp.route("/<id:campaign_creator_id>/transitions", methods=["POST"], parameters=OPTIONAL_IF_MATCH,
           operation_id="transitionCampaignCreator",
           summary="Move a creator along the pipeline: shortlisted -> invited -> accepted | declined -> "
                   "contracted -> completed, or removed")
@blp.etag
@requires("write")
@blp.arguments(s.CampaignCreatorTransitionSchema)
@blp.response(200, s.CampaignCreatorSchema, description="The campaign creator; budget_warnings says if the "
                                                        "committed spend now exceeds the budget")
@blp.alt_response(409, description="Illegal transition: errors.json.to lists the allowed next statuses")
@blp.alt_response(412, description="If-Match was given and is stale, or a concurrent change won")
def transition_campaign_creator(body, campaign_creator_id):
    cc = load_campaign_creator(campaign_creator_id)
    check_if_match(campaign_creator_etag(cc), required=False)
    cc = service.transition_campaign_creator(unit_of_work.session(), current_workspace_id(), cc, cc.version,
                                             body["to"], body.get("reason"), key_id())
    blp.set_etag(campaign_creator_etag(cc))
    return _warn(cc)


@blp.route("/<id:campaign_creator_id>/audit", methods=["GET"], operation_id="listCampaignCreatorAudit",
           summary="A campaign creator's audit trail")
@requires("read")
@blp.response(200, s.AuditEventSchema(many=True))
@blp.paginate(SQLPage)
def list_campaign_creator_audit(campaign_creator_id):
    load_campaign_creator(campaign_creator_id)
    return Listing(unit_of_work.session(),
                   service.audit_select(current_workspace_id(), "campaign_creator", campaign_creator_id))


@blp.route("/<id:campaign_creator_id>/deliverables", methods=["GET"], operation_id="listCreatorDeliverables",
           summary="List a campaign creator's deliverables by due date")
@requires("read")
@blp.response(200, s.DeliverableSchema(many=True))
@blp.paginate(SQLPage)
def list_creator_deliverables(campaign_creator_id):
    load_campaign_creator(campaign_creator_id)
    return Listing(unit_of_work.session(), deliverables.deliverables_select(
        current_workspace_id(), campaign_creator_id=campaign_creator_id))


@blp.route("/<id:campaign_creator_id>/deliverables", methods=["POST"], operation_id="createDeliverable",
           summary="Plan a deliverable for a campaign creator (status planned)")
@blp.etag
@requires("write")
@blp.arguments(s.DeliverableCreateSchema)
@blp.response(201, s.DeliverableSchema)
@blp.alt_response(409, description="The campaign is closed, or the creator declined, was removed or completed")
def create_deliverable(body, campaign_creator_id):
    cc = load_campaign_creator(campaign_creator_id)
    deliverable = deliverables.create_deliverable(unit_of_work.session(), current_workspace_id(), cc, body,
                                                  key_id())
    blp.set_etag(deliverable_etag(deliverable))
    return deliverable, 201, {"Location": f"/v1/deliverables/{deliverable.id}"}


@blp.route("/<id:campaign_creator_id>/kpis", methods=["GET"], operation_id="getCampaignCreatorKpis",
           summary="A campaign creator's results and KPIs over their deliverables")
@requires("read")
@blp.arguments(s.KpiArgs, location="query", as_kwargs=True)
@blp.response(200, s.CreatorKpisSchema)
def get_campaign_creator_kpis(campaign_creator_id, rate_card_version=None):
    cc = load_campaign_creator(campaign_creator_id)
    check_rate_card_version(rate_card_version)
    return report.creator_kpis(unit_of_work.session(), cc, rate_card_version=rate_card_version)
