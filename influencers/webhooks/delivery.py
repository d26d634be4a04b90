"""Delivery attempts: the ``webhook.deliver`` job, retries with backoff, disabling failing endpoints.

Each attempt is one job. It reads what to send in one short transaction, sends
outside any transaction (a slow receiver holds no lock), and records the outcome in
another: the attempt, the delivery's status, the endpoint's health. A failed attempt
schedules the next one (a new job, dispatched after ``retry_delay``) until
``webhook_max_attempts``; an endpoint whose attempts have all failed for
``webhook_disable_after_seconds`` is disabled, with the reason, and its pending
deliveries fail.
"""
from __future__ import annotations

import datetime as dt
import logging
import random
import time

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from influencers.config import Settings
from influencers.db import Database, utcnow
from influencers.jobs import runner
from influencers.webhooks import signing
from influencers.webhooks.events import DELIVERY_JOB
from influencers.webhooks.models import WebhookDelivery, WebhookDeliveryAttempt, WebhookEndpoint, WebhookEvent
from influencers.webhooks.service import audit, secrets_of
from influencers.webhooks.transport import AddressPolicy, Limits, post

log = logging.getLogger(__name__)

EXCERPT_CHARS = 1000
_rng = random.SystemRandom()


class DeliveryFailed(Exception):
    """The attempt failed (the job's error says why and what happens next)."""


def policy_of(settings: Settings) -> AddressPolicy:
    return AddressPolicy(allow_http=settings.webhook_allow_http, allowed_networks=settings.webhook_allowed_networks)


def server_key_of(settings: Settings) -> bytes:
    return signing.server_key(settings.webhook_secret_key, settings.pseudonym_secret)


def retry_delay(attempt: int, *, base: float, cap: float, rng: random.Random = _rng) -> float:
    """Seconds before the attempt after ``attempt``: exponential (x4) up to ``cap``, with
    "equal jitter" (between half and all of it), so retries of many deliveries spread out."""
    nominal = min(cap, base * 4 ** (attempt - 1))
    return nominal / 2 + rng.uniform(0, nominal / 2)


def deliver_job(db: Database, settings: Settings, workspace_id: int, params: dict, report_progress) -> dict:
    return attempt_delivery(db, settings, params["delivery_id"])


def attempt_delivery(db: Database, settings: Settings, delivery_id: int) -> dict:
    with db.transaction(write=False) as session:
        row = session.execute(
            select(WebhookDelivery, WebhookEndpoint, WebhookEvent)
            .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
            .join(WebhookEvent, WebhookEvent.id == WebhookDelivery.event_id)
            .where(WebhookDelivery.id == delivery_id)).first()
        if row is None or row[0].status != "pending":
            return {"delivery_id": delivery_id, "skipped": "no pending delivery"}
        delivery, endpoint, event = row
        url, body, message_id = endpoint.url, event.body.encode(), event.message_id
        keys = secrets_of(endpoint, server_key_of(settings))
        enabled = endpoint.enabled
    if enabled:
        headers = signing.headers(keys, message_id, int(time.time()), body)
        outcome = post(url, body, headers, policy=policy_of(settings), limits=Limits(
            connect_timeout=settings.webhook_connect_timeout, read_timeout=settings.webhook_read_timeout,
            max_response_bytes=settings.webhook_max_response_bytes))
    else:
        outcome = None
    with db.transaction() as session:
        result = _record(session, settings, delivery_id, outcome)
    if result.get("retry_job_id"):
        runner.dispatch_later(db, settings, result["retry_job_id"], result["retry_in_seconds"])
    if not result["succeeded"]:
        raise DeliveryFailed(result["summary"])
    return result


def _record(session: Session, settings: Settings, delivery_id: int, outcome) -> dict:
    delivery = session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.status != "pending":  # deleted, or recorded by a twin
        return {"delivery_id": delivery_id, "succeeded": True, "summary": "already recorded"}
    endpoint = session.get(WebhookEndpoint, delivery.endpoint_id)
    now = utcnow()
    if outcome is None:
        delivery.status, delivery.error = "failed", f"Not sent: the endpoint is disabled ({endpoint.disabled_reason})"
        delivery.next_attempt_at = None
        return {"delivery_id": delivery_id, "succeeded": False, "summary": delivery.error}
    number = delivery.attempt_count + 1
    session.add(WebhookDeliveryAttempt(
        delivery_id=delivery_id, number=number, at=now, succeeded=outcome.succeeded,
        response_code=outcome.response_code, duration_ms=outcome.duration_ms, error=_clip(outcome.error),
        response_body_excerpt=outcome.response_body.decode("utf-8", "replace")[:EXCERPT_CHARS] or None))
    delivery.attempt_count, delivery.last_attempt_at = number, now
    delivery.response_code, delivery.duration_ms, delivery.error = (
        outcome.response_code, outcome.duration_ms, _clip(outcome.error))
    result = {"delivery_id": delivery_id, "attempt": number, "succeeded": outcome.succeeded,
              "response_code": outcome.response_code, "duration_ms": outcome.duration_ms}
    if outcome.succeeded:
        delivery.status, delivery.next_attempt_at = "succeeded", None
        endpoint.last_success_at, endpoint.failing_since = now, None
        return {**result, "summary": f"delivered (HTTP {outcome.response_code})"}
    endpoint.last_failure_at = now
    endpoint.failing_since = endpoint.failing_since or now
    failing_for = now - endpoint.failing_since
    if endpoint.enabled and failing_for.total_seconds() >= settings.webhook_disable_after_seconds:
        _disable(session, endpoint, delivery_id, now, failing_for, outcome.error)
    if endpoint.enabled and number < settings.webhook_max_attempts:
        delay = retry_delay(number, base=settings.webhook_retry_base_seconds, cap=settings.webhook_retry_max_seconds)
        delivery.next_attempt_at = now + dt.timedelta(seconds=delay)
        delivery.job_id = _queue_attempt(session, delivery)
        return {**result, "retry_job_id": delivery.job_id, "retry_in_seconds": round(delay, 3),
                "summary": f"attempt {number} of {settings.webhook_max_attempts} failed: {outcome.error}; "
                           f"next attempt in {delay:.0f} s"}
    delivery.status, delivery.next_attempt_at = "failed", None
    why = "the endpoint is disabled" if not endpoint.enabled else "no attempts left"
    return {**result, "summary": f"attempt {number} failed: {outcome.error}; {why}"}


def _disable(session: Session, endpoint: WebhookEndpoint, delivery_id: int, now: dt.datetime,
             failing_for: dt.timedelta, error: str | None) -> None:
    days = failing_for.total_seconds() / 86400
    span = f"{int(days)} days" if days >= 2 else f"{failing_for.total_seconds() / 3600:.0f} hours"
    reason = (f"Disabled automatically on {now:%Y-%m-%d %H:%M} UTC: every delivery attempt has failed for {span} "
              f"(since {endpoint.failing_since:%Y-%m-%d %H:%M} UTC). Last error: {error}. "
              f"Fix the receiver, then enable the endpoint again.")
    session.execute(update(WebhookEndpoint).where(WebhookEndpoint.id == endpoint.id).values(
        enabled=False, disabled_at=now, disabled_reason=reason[:1000], version=WebhookEndpoint.version + 1,
        updated_at=now).execution_options(synchronize_session=False))
    session.refresh(endpoint)
    # Its other pending deliveries will not be sent either (their queued jobs find them failed).
    session.execute(update(WebhookDelivery).where(
        WebhookDelivery.endpoint_id == endpoint.id, WebhookDelivery.status == "pending",
        WebhookDelivery.id != delivery_id).values(
        status="failed", next_attempt_at=None, error="Not sent: the endpoint was disabled"
    ).execution_options(synchronize_session=False))
    audit(session, endpoint, "disabled", "enabled", "disabled", None, reason=reason[:1000])
    log.warning("webhook endpoint %s disabled: %s", endpoint.id, reason)


def _clip(text: str | None) -> str | None:
    return None if text is None else text[:1000]


def _queue_attempt(session: Session, delivery: WebhookDelivery) -> int:
    """A queued job for the delivery's next attempt, not to start before it is due (the
    reaper counts a queued job's wait for a worker from then)."""
    from influencers.jobs.models import Job

    job_id = runner.enqueue(session, delivery.workspace_id, DELIVERY_JOB, {"delivery_id": delivery.id})
    session.get(Job, job_id).not_before = delivery.next_attempt_at
    return job_id


def overdue_jobs(db: Database, grace_seconds: float) -> list[int]:
    """Jobs for the attempts of pending deliveries due more than ``grace_seconds`` ago whose
    dispatch was lost (an in-process timer in a process that stopped): the delivery's queued
    job, or a new one when that job can no longer run (failed by the reaper, or gone)."""
    from influencers.jobs.models import Job

    cutoff = utcnow() - dt.timedelta(seconds=grace_seconds)
    job_ids = []
    with db.transaction() as session:
        rows = session.execute(
            select(WebhookDelivery, Job.status)
            .outerjoin(Job, Job.id == WebhookDelivery.job_id)
            .where(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= cutoff)
            .order_by(WebhookDelivery.next_attempt_at)).all()
        for delivery, job_status in rows:
            if job_status == "running":
                continue
            if job_status != "queued":
                delivery.job_id = _queue_attempt(session, delivery)
            job_ids.append(delivery.job_id)
    return job_ids
