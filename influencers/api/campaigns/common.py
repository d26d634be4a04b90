"""Shared HTTP helpers of the campaign blueprints: lookups in the caller's workspace, ETags on POSTs."""
from __future__ import annotations

from flask import g, request
from flask_smorest import abort
from flask_smorest.etag import EtagMixin

from influencers.api import unit_of_work
from influencers.api.auth import current_workspace_id
from influencers.api.base import etag_of
from influencers.api.request_checks import reject_if_match_star
from influencers.campaigns import deliverables, service

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


def load_campaign(campaign_id: int):
    return service.get_campaign(unit_of_work.session(), current_workspace_id(), campaign_id)


def load_campaign_creator(campaign_creator_id: int):
    return service.get_campaign_creator(unit_of_work.session(), current_workspace_id(), campaign_creator_id)


def load_deliverable(deliverable_id: int):
    return deliverables.get_deliverable(unit_of_work.session(), current_workspace_id(), deliverable_id)


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


def campaign_etag(campaign) -> dict:
    return etag_of("campaign", campaign.id, campaign.version)


def brief_etag(campaign_id: int, version: int) -> dict:
    return etag_of("brief", campaign_id, version)


def campaign_creator_etag(cc) -> dict:
    return etag_of("campaign_creator", cc.id, cc.version)


def deliverable_etag(deliverable) -> dict:
    return etag_of("deliverable", deliverable.id, deliverable.version)


def check_rate_card_version(version: int | None) -> None:
    service.check_rate_card_version(unit_of_work.session(), current_workspace_id(), version)
