"""HTTP routes for deliverables: review workflow, publication, results, KPIs and compliance."""
from __future__ import annotations

from influencers.api import unit_of_work
from influencers.api.auth import current_workspace_id, requires
from influencers.api.base import Blueprint, Listing, SQLPage
from influencers.api.campaigns import schemas as s
from influencers.api.campaigns.common import (
    OPTIONAL_IF_MATCH,
    check_if_match,
    check_rate_card_version,
    deliverable_etag,
    key_id,
    load_campaign,
    load_deliverable,
)
from influencers.campaigns import deliverables, report, service

blp = Blueprint("deliverables", __name__, url_prefix="/v1/deliverables",
                description="Deliverables: submissions, reviews, publication, results, KPIs, compliance")


@blp.route("", methods=["GET"], operation_id="listDeliverables",
           summary="List the workspace's deliverables by due date (overdue=true for the overdue ones)")
@requires("read")
@blp.arguments(s.DeliverableListArgs, location="query", as_kwargs=True)
@blp.response(200, s.DeliverableSchema(many=True))
@blp.paginate(SQLPage)
def list_deliverables(campaign_id=None, status=None, overdue=None):
    return Listing(unit_of_work.session(), deliverables.deliverables_select(
        current_workspace_id(), campaign_id=campaign_id, status=status, overdue=overdue))


@blp.route("/<id:deliverable_id>", methods=["GET"], operation_id="getDeliverable", summary="Read a deliverable")
@blp.etag
@requires("read")
@blp.response(200, s.DeliverableSchema)
def get_deliverable(deliverable_id):
    deliverable = load_deliverable(deliverable_id)
    blp.set_etag(deliverable_etag(deliverable))
    return deliverable


@blp.route("/<id:deliverable_id>", methods=["PATCH"], operation_id="updateDeliverable",
           summary="Update a deliverable's kind, title, due date or brief version (If-Match required)")
@blp.etag
@requires("write")
@blp.arguments(s.DeliverableUpdateSchema)
@blp.response(200, s.DeliverableSchema)
def update_deliverable(changes, deliverable_id):
    deliverable = load_deliverable(deliverable_id)
    blp.check_etag(deliverable_etag(deliverable))
    deliverable = deliverables.update_deliverable(unit_of_work.session(), current_workspace_id(), deliverable,
                                                  deliverable.version, changes)
    blp.set_etag(deliverable_etag(deliverable))
    return deliverable


@blp.route("/<id:deliverable_id>/transitions", methods=["POST"], parameters=OPTIONAL_IF_MATCH,
           operation_id="transitionDeliverable",
           summary="Move a deliverable along: planned -> submitted -> changes_requested -> submitted ... -> "
                   "approved -> published, or missed")
@blp.etag
@requires("write")
@blp.arguments(s.DeliverableTransitionSchema)
@blp.response(200, s.DeliverableSchema)
@blp.alt_response(409, description="Illegal transition: errors.json.to lists the allowed next statuses")
@blp.alt_response(412, description="If-Match was given and is stale, or a concurrent change won")
def transition_deliverable(body, deliverable_id):
    deliverable = load_deliverable(deliverable_id)
    check_if_match(deliverable_etag(deliverable), required=False)
    deliverable = deliverables.transition_deliverable(unit_of_work.session(), current_workspace_id(),
                                                      deliverable, deliverable.version, body, key_id())
    blp.set_etag(deliverable_etag(deliverable))
    return deliverable


@blp.route("/<id:deliverable_id>/submissions", methods=["GET"], operation_id="listDeliverableSubmissions",
           summary="List a deliverable's submission rounds with their reviews")
@requires("read")
@blp.response(200, s.SubmissionSchema(many=True))
@blp.paginate(SQLPage)
def list_submissions(deliverable_id):
    load_deliverable(deliverable_id)
    return Listing(unit_of_work.session(), deliverables.submissions_select(deliverable_id))


@blp.route("/<id:deliverable_id>/audit", methods=["GET"], operation_id="listDeliverableAudit",
           summary="A deliverable's audit trail")
@requires("read")
@blp.response(200, s.AuditEventSchema(many=True))
@blp.paginate(SQLPage)
def list_deliverable_audit(deliverable_id):
    load_deliverable(deliverable_id)
    return Listing(unit_of_work.session(), service.audit_select(current_workspace_id(), "deliverable", deliverable_id))


@blp.route("/<id:deliverable_id>/results", methods=["GET"], operation_id="listDeliverableResults",
           summary="List a deliverable's stored results (manual and bulk), newest as-of first")
@requires("read")
@blp.response(200, s.ResultSchema(many=True))
@blp.paginate(SQLPage)
def list_results(deliverable_id):
    load_deliverable(deliverable_id)
    return Listing(unit_of_work.session(), deliverables.results_select(deliverable_id))


@blp.route("/<id:deliverable_id>/results", methods=["POST"], operation_id="createDeliverableResult",
           summary="Record results for a deliverable by hand (source manual)")
@requires("write")
@blp.arguments(s.ResultCreateSchema)
@blp.response(201, s.ResultSchema)
def create_result(body, deliverable_id):
    deliverable = load_deliverable(deliverable_id)
    campaign = load_campaign(deliverable.campaign_id)
    result = deliverables.add_result(unit_of_work.session(), deliverable, body, "manual", key_id(),
                                     campaign.currency)
    return result, 201


@blp.route("/<id:deliverable_id>/kpis", methods=["GET"], operation_id="getDeliverableKpis",
           summary="A deliverable's effective results (each with source and as-of) and KPIs")
@requires("read")
@blp.arguments(s.KpiArgs, location="query", as_kwargs=True)
@blp.response(200, s.DeliverableKpisSchema)
def get_deliverable_kpis(deliverable_id, rate_card_version=None):
    deliverable = load_deliverable(deliverable_id)
    check_rate_card_version(rate_card_version)
    return report.deliverable_kpis(unit_of_work.session(), deliverable, rate_card_version=rate_card_version)


@blp.route("/<id:deliverable_id>/compliance", methods=["GET"], operation_id="getDeliverableCompliance",
           summary="Check a published deliverable's caption for the brief's hashtags, mentions and disclosure")
@requires("read")
@blp.response(200, s.ComplianceSchema)
@blp.alt_response(409, description="The deliverable is not published")
def get_compliance(deliverable_id):
    deliverable = load_deliverable(deliverable_id)
    return deliverables.compliance(unit_of_work.session(), deliverable)
