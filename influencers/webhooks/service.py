"""Webhook endpoints: registration, changes, secret rotation, the delivery log, redelivery.

Functions take a session and the caller's workspace id; every query is scoped to the
workspace, so another workspace's endpoints and deliveries are simply not found
(None). Changes are conditional on the row ``version`` the caller read (412 when
stale) and recorded in the audit trail (``campaign_audit_events``, object type
``webhook_endpoint``) with the key that made them.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Select, delete, select, update
from sqlalchemy.orm import Session

from influencers.db import utcnow
from influencers.errors import Conflict, InvalidInput, NotFound, StaleVersion
from influencers.webhooks import signing
from influencers.webhooks.events import EVENT_TYPES, TEST_EVENT, create_delivery, store_event
from influencers.webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from influencers.webhooks.transport import AddressPolicy, BlockedAddress
from influencers.workspaces.models import AuditEvent

AUDIT_OBJECT = "webhook_endpoint"
# After a rotation the previous secret signs too for this long, so receivers can switch.
ROTATION_OVERLAP = dt.timedelta(hours=24)


def state(endpoint: WebhookEndpoint) -> str:
    return "enabled" if endpoint.enabled else "disabled"


def audit(session: Session, endpoint: WebhookEndpoint, action: str, from_status: str | None, to_status: str,
          key_id: int | None, reason: str | None = None) -> None:
    session.add(AuditEvent(workspace_id=endpoint.workspace_id, object_type=AUDIT_OBJECT, object_id=endpoint.id,
                           action=action, from_status=from_status, to_status=to_status, reason=reason,
                           key_id=key_id, at=utcnow()))


def audit_select(workspace_id: int, endpoint_id: int) -> Select:
    return select(AuditEvent).where(
        AuditEvent.workspace_id == workspace_id, AuditEvent.object_type == AUDIT_OBJECT,
        AuditEvent.object_id == endpoint_id).order_by(AuditEvent.id)


def _check_url(url: str, policy: AddressPolicy) -> None:
    try:
        policy.check_url(url)
    except BlockedAddress as error:
        raise InvalidInput("url", str(error)) from None


def _check_events(events: list[str]) -> list[str]:
    unknown = [e for e in events if e not in EVENT_TYPES]
    if unknown:
        raise InvalidInput("events", f"unknown event types {', '.join(unknown)}: one of {', '.join(EVENT_TYPES)}")
    if not events:
        raise InvalidInput("events", "subscribe to at least one event type")
    return list(dict.fromkeys(events))


def endpoints_select(workspace_id: int) -> Select:
    return select(WebhookEndpoint).where(WebhookEndpoint.workspace_id == workspace_id).order_by(WebhookEndpoint.id)


def get_endpoint(session: Session, workspace_id: int, endpoint_id: int) -> WebhookEndpoint:
    endpoint = session.scalar(select(WebhookEndpoint).where(
        WebhookEndpoint.id == endpoint_id, WebhookEndpoint.workspace_id == workspace_id))
    if endpoint is None:
        raise NotFound(f"No webhook endpoint {endpoint_id} in this workspace.")
    return endpoint


def secrets_of(endpoint: WebhookEndpoint, key: bytes, now: dt.datetime | None = None) -> list[str]:
    """The secrets that sign its deliveries: the current one, and the previous one while it overlaps."""
    keys = [signing.endpoint_secret(key, endpoint.secret_salt)]
    if endpoint.previous_secret_salt and endpoint.previous_secret_expires_at and \
            endpoint.previous_secret_expires_at > (now or utcnow()):
        keys.append(signing.endpoint_secret(key, endpoint.previous_secret_salt))
    return keys


def create_endpoint(session: Session, workspace_id: int, values: dict[str, Any], key_id: int | None, *,
                    policy: AddressPolicy, key: bytes) -> tuple[WebhookEndpoint, str]:
    """Registers an endpoint; returns it and its secret (shown to the caller once)."""
    _check_url(values["url"], policy)
    now = utcnow()
    endpoint = WebhookEndpoint(
        workspace_id=workspace_id, url=values["url"], description=values.get("description"),
        events=_check_events(values["events"]), enabled=True, secret_salt=signing.new_salt(),
        created_by_key_id=key_id, created_at=now, updated_at=now, version=1)
    session.add(endpoint)
    session.flush()
    audit(session, endpoint, "created", None, "enabled", key_id)
    return endpoint, signing.endpoint_secret(key, endpoint.secret_salt)


def _conditional_update(session: Session, endpoint: WebhookEndpoint, expected_version: int,
                        values: dict[str, Any]) -> None:
    result = session.execute(
        update(WebhookEndpoint)
        .where(WebhookEndpoint.id == endpoint.id, WebhookEndpoint.workspace_id == endpoint.workspace_id,
               WebhookEndpoint.version == expected_version)
        .values(**values, version=WebhookEndpoint.version + 1, updated_at=utcnow())
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise StaleVersion.of("endpoint")
    session.refresh(endpoint)


def update_endpoint(session: Session, endpoint: WebhookEndpoint, expected_version: int, changes: dict[str, Any],
                    key_id: int | None, *, policy: AddressPolicy) -> WebhookEndpoint:
    values = dict(changes)
    if "url" in values:
        _check_url(values["url"], policy)
    if "events" in values:
        values["events"] = _check_events(values["events"])
    before = state(endpoint)
    if values.get("enabled") is True and not endpoint.enabled:
        # Enabled again: a fresh start, the old failure streak forgotten.
        values.update(disabled_reason=None, disabled_at=None, failing_since=None)
    elif values.get("enabled") is False and endpoint.enabled:
        values.update(disabled_reason="Disabled by an API key of this workspace.", disabled_at=utcnow())
    _conditional_update(session, endpoint, expected_version, values)
    audit(session, endpoint, "updated", before, state(endpoint), key_id,
          reason="changed: " + ", ".join(sorted(changes)) if changes else None)
    return endpoint


def delete_endpoint(session: Session, endpoint: WebhookEndpoint, expected_version: int, key_id: int | None) -> None:
    """Deletes it with its delivery log (the audit trail stays)."""
    result = session.execute(delete(WebhookEndpoint).where(
        WebhookEndpoint.id == endpoint.id, WebhookEndpoint.version == expected_version))
    if result.rowcount != 1:
        raise StaleVersion.of("endpoint")
    audit(session, endpoint, "deleted", state(endpoint), "deleted", key_id)


def rotate_secret(session: Session, endpoint: WebhookEndpoint, expected_version: int, key_id: int | None, *,
                  key: bytes) -> tuple[WebhookEndpoint, str]:
    """A new secret (returned once); the previous one keeps signing for ROTATION_OVERLAP."""
    salt = signing.new_salt()
    _conditional_update(session, endpoint, expected_version, {
        "secret_salt": salt, "previous_secret_salt": endpoint.secret_salt,
        "previous_secret_expires_at": utcnow() + ROTATION_OVERLAP})
    audit(session, endpoint, "secret_rotated", state(endpoint), state(endpoint), key_id)
    return endpoint, signing.endpoint_secret(key, salt)


def _require_enabled(endpoint: WebhookEndpoint) -> None:
    if not endpoint.enabled:
        raise Conflict(f"The endpoint is disabled ({endpoint.disabled_reason}); enable it first.")


def send_test_event(session: Session, endpoint: WebhookEndpoint) -> WebhookDelivery:
    _require_enabled(endpoint)
    event = store_event(session, endpoint.workspace_id, TEST_EVENT, {
        "webhook_endpoint": {"id": endpoint.id, "url": endpoint.url},
        "message": "A test event: deliveries to this endpoint work."})
    return create_delivery(session, endpoint.workspace_id, endpoint.id, event.id)


# --- the delivery log ----------------------------------------------------------------------------

def deliveries_select(workspace_id: int, endpoint_id: int, status: str | None = None,
                      event_type: str | None = None) -> Select:
    stmt = select(WebhookDelivery).where(WebhookDelivery.workspace_id == workspace_id,
                                         WebhookDelivery.endpoint_id == endpoint_id)
    if status:
        stmt = stmt.where(WebhookDelivery.status == status)
    if event_type:
        stmt = stmt.where(WebhookDelivery.event_id.in_(
            select(WebhookEvent.id).where(WebhookEvent.workspace_id == workspace_id, WebhookEvent.type == event_type)))
    return stmt.order_by(WebhookDelivery.id.desc())


def get_delivery(session: Session, workspace_id: int, endpoint_id: int, delivery_id: int) -> WebhookDelivery:
    delivery = session.scalar(select(WebhookDelivery).where(
        WebhookDelivery.id == delivery_id, WebhookDelivery.workspace_id == workspace_id,
        WebhookDelivery.endpoint_id == endpoint_id))
    if delivery is None:
        raise NotFound(f"No delivery {delivery_id} of webhook endpoint {endpoint_id} in this workspace.")
    return delivery


def redeliver(session: Session, endpoint: WebhookEndpoint, delivery: WebhookDelivery) -> WebhookDelivery:
    """Sends the delivery's event again (same ``webhook-id``) as a new delivery."""
    _require_enabled(endpoint)
    return create_delivery(session, endpoint.workspace_id, endpoint.id, delivery.event_id,
                           redelivery_of=delivery.id)


def purge_log(session: Session, older_than: dt.datetime) -> int:
    """Deletes events created before ``older_than`` with their deliveries and attempts, except
    events still being delivered. Returns how many events went."""
    still_pending = select(WebhookDelivery.id).where(
        WebhookDelivery.event_id == WebhookEvent.id, WebhookDelivery.status == "pending").exists()
    result = session.execute(delete(WebhookEvent).where(WebhookEvent.created_at < older_than, ~still_pending)
                             .execution_options(synchronize_session=False))
    return result.rowcount
