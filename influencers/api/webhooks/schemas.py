"""Request and response bodies of webhook endpoints and their delivery log."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from influencers.api.schemas import BodySchema, QuerySchema, one_of
from influencers.webhooks import EVENT_TYPES, TEST_EVENT
from influencers.webhooks.models import DELIVERY_STATUSES

EVENTS_DESCRIPTION = "Event types to receive: " + "; ".join(f"`{k}`: {v}" for k, v in EVENT_TYPES.items())
URL_DESCRIPTION = ("Where events are POSTed: an https URL on a public address (this server's operator may "
                   "allow plain http or private networks). No credentials in it: verify the signature instead.")


class EndpointCreateSchema(BodySchema):
    url = fields.String(required=True, validate=validate.Length(min=1, max=2000),
                        metadata={"description": URL_DESCRIPTION, "example": "https://crm.example.com/hooks/influencers"})
    events = fields.List(fields.String(validate=one_of(list(EVENT_TYPES))), required=True,
                         validate=validate.Length(min=1, max=len(EVENT_TYPES)),
                         metadata={"description": EVENTS_DESCRIPTION,
                                   "example": ["campaign.status_changed", "deliverable.approved"]})
    description = fields.String(allow_none=True, validate=validate.Length(max=500),
                                metadata={"example": "CRM sync"})


class EndpointUpdateSchema(BodySchema):
    url = fields.String(validate=validate.Length(min=1, max=2000), metadata={"description": URL_DESCRIPTION})
    events = fields.List(fields.String(validate=one_of(list(EVENT_TYPES))),
                         validate=validate.Length(min=1, max=len(EVENT_TYPES)),
                         metadata={"description": EVENTS_DESCRIPTION})
    description = fields.String(allow_none=True, validate=validate.Length(max=500))
    enabled = fields.Boolean(metadata={"description": "false pauses deliveries; true re-enables a disabled "
                                                      "endpoint and forgets its failure streak"})


class EndpointSchema(ma.Schema):
    id = fields.Integer(required=True)
    url = fields.String(required=True)
    description = fields.String(allow_none=True, required=True)
    events = fields.List(fields.String(validate=one_of(list(EVENT_TYPES))), required=True)
    enabled = fields.Boolean(required=True)
    disabled_reason = fields.String(allow_none=True, required=True,
                                    metadata={"description": "Why it is disabled (automatically, after failing for "
                                                             "days, or by a key)"})
    disabled_at = fields.DateTime(allow_none=True, required=True)
    failing_since = fields.DateTime(allow_none=True, required=True, metadata={
        "description": "The first failed attempt since the last successful one (null: not failing)"})
    last_success_at = fields.DateTime(allow_none=True, required=True)
    last_failure_at = fields.DateTime(allow_none=True, required=True)
    previous_secret_expires_at = fields.DateTime(allow_none=True, required=True, metadata={
        "description": "After a rotation, deliveries carry a signature with the previous secret too until then"})
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)


class EndpointWithSecretSchema(EndpointSchema):
    secret = fields.String(required=True, metadata={
        "description": "The signing secret (`whsec_` + base64), shown only in this response: store it now",
        "example": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"})


class DeliveryListArgs(QuerySchema):
    status = fields.String(validate=one_of(DELIVERY_STATUSES))
    event_type = fields.String(validate=one_of([*EVENT_TYPES, TEST_EVENT]))


class DeliverySchema(ma.Schema):
    id = fields.Integer(required=True)
    endpoint_id = fields.Integer(required=True)
    event_type = fields.String(required=True, validate=one_of([*EVENT_TYPES, TEST_EVENT]))
    message_id = fields.String(required=True, metadata={
        "description": "The `webhook-id` header: the same on every attempt and redelivery (deduplicate on it)"})
    status = fields.String(required=True, validate=one_of(DELIVERY_STATUSES), metadata={
        "description": "pending (an attempt is due at next_attempt_at), succeeded, or failed (no attempts left, "
                       "or the endpoint is disabled)"})
    attempt_count = fields.Integer(required=True)
    next_attempt_at = fields.DateTime(allow_none=True, required=True)
    last_attempt_at = fields.DateTime(allow_none=True, required=True)
    response_code = fields.Integer(allow_none=True, required=True,
                                   metadata={"description": "The last attempt's HTTP status (null: no response)"})
    duration_ms = fields.Integer(allow_none=True, required=True,
                                 metadata={"description": "The last attempt's duration, measured, in milliseconds"})
    error = fields.String(allow_none=True, required=True)
    redelivery_of = fields.Integer(allow_none=True, required=True)
    created_at = fields.DateTime(required=True)


class AttemptSchema(ma.Schema):
    number = fields.Integer(required=True)
    at = fields.DateTime(required=True)
    succeeded = fields.Boolean(required=True)
    response_code = fields.Integer(allow_none=True, required=True)
    duration_ms = fields.Integer(required=True, metadata={"description": "Measured, in milliseconds"})
    error = fields.String(allow_none=True, required=True)
    response_body_excerpt = fields.String(allow_none=True, required=True,
                                          metadata={"description": "The response body's first 1,000 characters"})


class DeliveryDetailSchema(DeliverySchema):
    payload = fields.String(required=True, metadata={"description": "The request body exactly as signed and sent"})
    attempts = fields.List(fields.Nested(AttemptSchema), required=True)


class EndpointAuditEventSchema(ma.Schema):
    id = fields.Integer(required=True)
    action = fields.String(required=True, validate=one_of(
        ["created", "updated", "deleted", "secret_rotated", "disabled"]))
    from_status = fields.String(allow_none=True, required=True)
    to_status = fields.String(required=True, validate=one_of(["enabled", "disabled", "deleted"]))
    reason = fields.String(allow_none=True, required=True)
    key_id = fields.Integer(allow_none=True, required=True, metadata={
        "description": "The API key that made the change (null: the server, e.g. disabling a failing endpoint)"})
    at = fields.DateTime(required=True)
