"""Shared HTTP helpers of the campaign blueprints: lookups (404), domain errors to HTTP, ETags on POSTs."""
from __future__ import annotations

import contextlib

from flask import g, request
from flask_smorest import abort
from flask_smorest.etag import EtagMixin

from influencers.api import unit_of_work
from influencers.api.auth import current_workspace_id
from influencers.api.base import etag_of
from influencers.api.request_checks import reject_if_match_star
from influencers.campaigns import deliverables, service
from influencers.campaigns.transitions import IllegalTransition

STALE = "It changed since it was read; fetch it again and retry."

# Transitions are POSTs: If-Match is optional there (the write is conditional anyway).
OPTIONAL_IF_MATCH = [{
    "in": "header",
    "name": "If-Match",
    "required": False,
    "description": "The ETag the caller last read; a stale one answers 412 instead of moving the object.",
    "schema": {"type": "string"},
}]


def key_id() -> int:
    return g.principal.key_id


def campaign_or_404(campaign_id: int):
    campaign = service.get_campaign(unit_of_work.session(), current_workspace_id(), campaign_id)
    if campaign is None:
        abort(404, message=f"No campaign {campaign_id} in this workspace.")
    return campaign


def campaign_creator_or_404(campaign_creator_id: int):
    cc = service.get_campaign_creator(unit_of_work.session(), current_workspace_id(), campaign_creator_id)
    if cc is None:
        abort(404, message=f"No campaign creator {campaign_creator_id} in this workspace.")
    return cc


def deliverable_or_404(deliverable_id: int):
    deliverable = deliverables.get_deliverable(unit_of_work.session(), current_workspace_id(), deliverable_id)
    if deliverable is None:
        abort(404, message=f"No deliverable {deliverable_id} in this workspace.")
    return deliverable


def etag_value(data: dict) -> str:
    """The ETag flask-smorest's ``set_etag`` gives the same data."""
    return EtagMixin._generate_etag(data)


def check_if_match(data: dict, *, required: bool) -> None:
    """ETag precondition for POSTs that change a resource (transitions, brief versions).

    428 when required and missing; 412 when given and stale. The write itself is
    still conditional on the version, so a race between two callers gives one 412.
    """
    reject_if_match_star()
    if not request.if_match:
        if required:
            abort(428, message="Send If-Match with the resource's current ETag.")
        return
    if etag_value(data) not in request.if_match:
        abort(412, message=STALE)


@contextlib.contextmanager
def domain_errors():
    """Domain exceptions to HTTP: 409 (with the allowed statuses), 412, 422."""
    try:
        yield
    except IllegalTransition as error:
        allowed = ", ".join(error.allowed) or "none (final status)"
        abort(409, message=str(error), errors={"json": {"to": [f"allowed: {allowed}"]}})
    except service.StaleVersion:
        abort(412, message=STALE)
    except service.Conflict as error:
        abort(409, message=str(error))
    except service.Invalid as error:
        abort(422, message=error.message, errors={"json": {error.field_name: [error.message]}})


def campaign_etag(campaign) -> dict:
    return etag_of("campaign", campaign.id, campaign.version)


def brief_etag(campaign_id: int, version: int) -> dict:
    return etag_of("brief", campaign_id, version)


def campaign_creator_etag(cc) -> dict:
    return etag_of("campaign_creator", cc.id, cc.version)


def deliverable_etag(deliverable) -> dict:
    return etag_of("deliverable", deliverable.id, deliverable.version)


def rate_card_version_or_422(version: int | None) -> None:
    if version is not None and service.get_rate_card(unit_of_work.session(), current_workspace_id(), version) is None:
        abort(422, message=f"No EMV rate card version {version} in this workspace.",
              errors={"query": {"rate_card_version": ["no such rate card version"]}})
