"""HTTP routes for webhook endpoints and their delivery log.

Admins manage endpoints (they send workspace data to outside systems, like API keys
grant access to it); every role can read endpoints and the delivery log, which only
carry data the roles can already read through the API, never a secret.
"""
from __future__ import annotations

from flask import current_app, g

from influencers.api import unit_of_work
from influencers.api.auth import current_workspace_id, requires
from influencers.api.base import Blueprint, Listing, SQLPage, etag_of
from influencers.api.campaigns.common import check_if_match
from influencers.api.schemas import Extended
from influencers.api.webhooks import schemas as s
from influencers.webhooks import service
from influencers.webhooks.delivery import policy_of, server_key_of

blp = Blueprint("webhooks", __name__, url_prefix="/v1/webhook-endpoints",
                description="Webhook endpoints: signed event deliveries (Standard Webhooks), their log and redelivery")

REQUIRED_IF_MATCH = [{
    "in": "header", "name": "If-Match", "required": True,
    "description": "The endpoint's current ETag (412 if stale, 428 if missing)", "schema": {"type": "string"},
}]


def _settings():
    return current_app.extensions["influencers.settings"]


def _etag(endpoint) -> dict:
    return etag_of("webhook_endpoint", endpoint.id, endpoint.version)


def _endpoint(endpoint_id: int):
    return service.get_endpoint(unit_of_work.session(), current_workspace_id(), endpoint_id)


@blp.route("", methods=["GET"], operation_id="listWebhookEndpoints", summary="List the workspace's webhook endpoints")
@requires("read")
@blp.response(200, s.EndpointSchema(many=True))
@blp.paginate(SQLPage)
def list_endpoints():
    return Listing(unit_of_work.session(), service.endpoints_select(current_workspace_id()))


# Not replayable with Idempotency-Key: a replay record would store the secret it shows.
@blp.route("", methods=["POST"], operation_id="createWebhookEndpoint", idempotent=False,
           summary="Register a webhook endpoint; the response shows its signing secret, once")
@blp.etag
@requires("admin")
@blp.arguments(s.EndpointCreateSchema)
@blp.response(201, s.EndpointWithSecretSchema)
@blp.alt_response(422, description="Invalid URL (not https, credentials, a non-public address) or event types")
def create_endpoint(body):
    settings = _settings()
    endpoint, secret = service.create_endpoint(
        unit_of_work.session(), current_workspace_id(), body, g.principal.key_id,
        policy=policy_of(settings), key=server_key_of(settings))
    blp.set_etag(_etag(endpoint))
    return Extended(endpoint, secret=secret), 201, {
        "Location": f"/v1/webhook-endpoints/{endpoint.id}"}


@blp.route("/<id:webhook_endpoint_id>", methods=["GET"], operation_id="getWebhookEndpoint",
           summary="Read a webhook endpoint (never its secret)")
@blp.etag
@requires("read")
@blp.response(200, s.EndpointSchema)
def get_endpoint(webhook_endpoint_id):
    endpoint = _endpoint(webhook_endpoint_id)
    blp.set_etag(_etag(endpoint))
    return endpoint


@blp.route("/<id:webhook_endpoint_id>", methods=["PATCH"], operation_id="updateWebhookEndpoint",
           summary="Change an endpoint's URL, events or description, or disable/enable it (If-Match required)")
@blp.etag
@requires("admin")
@blp.arguments(s.EndpointUpdateSchema)
@blp.response(200, s.EndpointSchema)
def update_endpoint(changes, webhook_endpoint_id):
    endpoint = _endpoint(webhook_endpoint_id)
    blp.check_etag(_etag(endpoint))
    endpoint = service.update_endpoint(unit_of_work.session(), endpoint, endpoint.version, changes,
                                       g.principal.key_id, policy=policy_of(_settings()))
    blp.set_etag(_etag(endpoint))
    return endpoint


@blp.route("/<id:webhook_endpoint_id>", methods=["DELETE"], operation_id="deleteWebhookEndpoint",
           summary="Delete an endpoint and its delivery log (If-Match required)")
@blp.etag
@requires("admin")
@blp.response(204)
def delete_endpoint(webhook_endpoint_id):
    endpoint = _endpoint(webhook_endpoint_id)
    blp.check_etag(_etag(endpoint))
    service.delete_endpoint(unit_of_work.session(), endpoint, endpoint.version, g.principal.key_id)


@blp.route("/<id:webhook_endpoint_id>/secret", methods=["POST"], parameters=REQUIRED_IF_MATCH, idempotent=False,
           operation_id="rotateWebhookEndpointSecret",
           summary="Rotate the signing secret: the new one is shown once; the old one also signs for 24 hours")
@blp.etag
@requires("admin")
@blp.response(200, s.EndpointWithSecretSchema)
@blp.alt_response(412, description="If-Match is stale")
@blp.alt_response(428, description="If-Match is missing")
def rotate_secret(webhook_endpoint_id):
    endpoint = _endpoint(webhook_endpoint_id)
    check_if_match(_etag(endpoint), required=True)
    endpoint, secret = service.rotate_secret(unit_of_work.session(), endpoint, endpoint.version,
                                             g.principal.key_id, key=server_key_of(_settings()))
    blp.set_etag(_etag(endpoint))
    return Extended(endpoint, secret=secret)


@blp.route("/<id:webhook_endpoint_id>/test", methods=["POST"], operation_id="sendWebhookTestEvent",
           summary="Send a `webhook.test` event to this endpoint now")
@requires("admin")
@blp.response(202, s.DeliverySchema)
@blp.alt_response(409, description="The endpoint is disabled")
def send_test_event(webhook_endpoint_id):
    endpoint = _endpoint(webhook_endpoint_id)
    delivery = service.send_test_event(unit_of_work.session(), endpoint)
    return delivery, 202, {"Location": f"/v1/webhook-endpoints/{endpoint.id}/deliveries/{delivery.id}"}


@blp.route("/<id:webhook_endpoint_id>/audit", methods=["GET"], operation_id="listWebhookEndpointAudit",
           summary="The endpoint's audit trail: who created, changed, rotated, disabled it, when and why")
@requires("read")
@blp.response(200, s.EndpointAuditEventSchema(many=True))
@blp.paginate(SQLPage)
def list_endpoint_audit(webhook_endpoint_id):
    _endpoint(webhook_endpoint_id)
    return Listing(unit_of_work.session(), service.audit_select(current_workspace_id(), webhook_endpoint_id))


@blp.route("/<id:webhook_endpoint_id>/deliveries", methods=["GET"], operation_id="listWebhookDeliveries",
           summary="The endpoint's delivery log, newest first")
@requires("read")
@blp.arguments(s.DeliveryListArgs, location="query", as_kwargs=True)
@blp.response(200, s.DeliverySchema(many=True))
@blp.paginate(SQLPage)
def list_deliveries(webhook_endpoint_id, status=None, event_type=None):
    _endpoint(webhook_endpoint_id)
    return Listing(unit_of_work.session(), service.deliveries_select(
        current_workspace_id(), webhook_endpoint_id, status, event_type))


@blp.route("/<id:webhook_endpoint_id>/deliveries/<id:delivery_id>", methods=["GET"],
           operation_id="getWebhookDelivery", summary="One delivery: the payload sent and every attempt")
@requires("read")
@blp.response(200, s.DeliveryDetailSchema)
def get_delivery(webhook_endpoint_id, delivery_id):
    return service.get_delivery(unit_of_work.session(), current_workspace_id(), webhook_endpoint_id, delivery_id)


@blp.route("/<id:webhook_endpoint_id>/deliveries/<id:delivery_id>/redeliver", methods=["POST"],
           operation_id="redeliverWebhook",
           summary="Send a delivery's event again (same webhook-id), as a new delivery")
@requires("admin")
@blp.response(202, s.DeliverySchema)
@blp.alt_response(409, description="The endpoint is disabled")
def redeliver(webhook_endpoint_id, delivery_id):
    endpoint = _endpoint(webhook_endpoint_id)
    delivery = service.get_delivery(unit_of_work.session(), current_workspace_id(), webhook_endpoint_id, delivery_id)
    new = service.redeliver(unit_of_work.session(), endpoint, delivery)
    return new, 202, {"Location": f"/v1/webhook-endpoints/{endpoint.id}/deliveries/{new.id}"}
