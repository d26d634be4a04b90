"""The event types and :func:`emit`, which any domain code may call with its session."""
from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from influencers.db import encode_json, utcnow
from influencers.jobs import runner
from influencers.webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent

EVENT_TYPES = {
    "import.completed": "An import finished: its report's counts",
    "scoring_run.succeeded": "A scoring run finished and its scores are current (or superseded)",
    "scoring_run.failed": "A scoring run failed: its error",
    "scoring_model.activated": "A scoring model version became the workspace's active model",
    "campaign.status_changed": "A campaign moved to another status",
    "deliverable.submitted": "A creator's draft was submitted for review",
    "deliverable.approved": "A deliverable's draft was approved",
    "deliverable.published": "A deliverable was published (its post's external id)",
}
# Sent on demand to one endpoint; not something to subscribe to.
TEST_EVENT = "webhook.test"
DELIVERY_JOB = "webhook.deliver"


def emit(session: Session, workspace_id: int, event_type: str, payload: dict) -> list[int]:
    """Announces an event to the workspace's enabled endpoints subscribed to it.

    Call it inside the transaction that makes the event true: the event and its
    deliveries are written in it and dispatched once it commits (nothing is sent if it
    rolls back). ``payload`` is the body's ``data`` (JSON-encodable; datetimes allowed).
    Returns the ids of the deliveries created (none without subscribers).
    """
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown webhook event type {event_type!r}: one of {', '.join(EVENT_TYPES)}")
    rows = session.execute(select(WebhookEndpoint.id, WebhookEndpoint.events).where(
        WebhookEndpoint.workspace_id == workspace_id, WebhookEndpoint.enabled.is_(True))).all()
    targets = [endpoint_id for endpoint_id, events in rows if event_type in events]
    if not targets:
        return []
    event = store_event(session, workspace_id, event_type, payload)
    return [create_delivery(session, workspace_id, endpoint_id, event.id).id for endpoint_id in targets]


def store_event(session: Session, workspace_id: int, event_type: str, payload: dict) -> WebhookEvent:
    now = utcnow()
    body = encode_json({"type": event_type, "timestamp": now, "data": payload})
    event = WebhookEvent(workspace_id=workspace_id, message_id="msg_" + secrets.token_hex(16), type=event_type,
                         body=body, created_at=now)
    session.add(event)
    session.flush()
    return event


def create_delivery(session: Session, workspace_id: int, endpoint_id: int, event_id: int, *,
                    redelivery_of: int | None = None) -> WebhookDelivery:
    """A pending delivery and the job of its first attempt, dispatched after the commit."""
    now = utcnow()
    delivery = WebhookDelivery(workspace_id=workspace_id, endpoint_id=endpoint_id, event_id=event_id,
                               status="pending", attempt_count=0, next_attempt_at=now,
                               redelivery_of=redelivery_of, created_at=now)
    session.add(delivery)
    session.flush()
    delivery.job_id = runner.enqueue(session, workspace_id, DELIVERY_JOB, {"delivery_id": delivery.id})
    runner.dispatch_after_commit(session, delivery.job_id)
    return delivery
