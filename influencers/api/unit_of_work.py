"""One session and one transaction per request, and ``Idempotency-Key`` replays.

Views call :func:`session` to get the request's session; they never commit.
:func:`wrap_view` commits when the view answered with a success status and
rolls back otherwise, so a failed request leaves nothing half-written.
"""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json

from flask import current_app, g, request
from flask_smorest import abort
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from influencers import row_security
from influencers.api.auth import check_permission
from influencers.db import utcnow
from influencers.workspaces.models import IdempotencyRecord
from influencers.workspaces.service import (
    find_idempotency_record,
    purge_expired_idempotency_records,
    save_idempotency_record,
)

REPLAYED_HEADERS = ("ETag", "Location", "Content-Type")
MAX_KEY_LENGTH = 255


def database():
    return current_app.extensions["influencers.db"]


def session() -> Session:
    """The current request's session (a write session for non-GET requests)."""
    if "db_session" not in g:
        g.db_session = database().session(write=request.method not in ("GET", "HEAD", "OPTIONS"))
        if "principal" in g:
            # PostgreSQL: the request's transactions see only this workspace's rows.
            row_security.restrict(g.db_session, g.principal.workspace_id)
    return g.db_session


def after_commit(callback) -> None:
    """Runs ``callback()`` once the request's transaction has committed (e.g. dispatching a job)."""
    g.setdefault("after_commit", []).append(callback)


def _run_after_commit() -> None:
    for callback in g.pop("after_commit", []):
        callback()


def close_session(_exc=None) -> None:
    db_session = g.pop("db_session", None)
    if db_session is not None:
        db_session.close()


def _fingerprint() -> str:
    digest = hashlib.sha256()
    digest.update(request.method.encode())
    digest.update(request.path.encode())
    digest.update(request.get_data(cache=True))
    return digest.hexdigest()


def _replay(record: IdempotencyRecord):
    if record.request_fingerprint != _fingerprint():
        abort(
            422,
            message="This Idempotency-Key was already used with another request body or path.",
            errors={"headers": {"Idempotency-Key": ["already used with a different request"]}},
        )
    response = current_app.response_class(record.response_body, status=record.status_code)
    for name, value in record.response_headers.items():
        response.headers[name] = value
    response.headers["Idempotent-Replayed"] = "true"
    return response


def _expiry_cutoff() -> dt.datetime:
    hours = current_app.extensions["influencers.settings"].idempotency_ttl_hours
    return utcnow() - dt.timedelta(hours=hours)


def _find_record(db_session: Session, key: str) -> IdempotencyRecord | None:
    """The calling API key's unexpired record for ``key`` (another key's never replays)."""
    return find_idempotency_record(db_session, g.principal.key_id, key, _expiry_cutoff())


def _redacted(body: str, fields: tuple[str, ...]) -> str:
    """The response body with ``fields`` set to null: secrets shown once are never stored."""
    if not fields:
        return body
    document = json.loads(body)
    for name in fields:
        if name in document:
            document[name] = None
    return json.dumps(document)


def _record_for(key: str, response, redact: tuple[str, ...]) -> dict:
    return dict(
        workspace_id=g.principal.workspace_id,
        api_key_id=g.principal.key_id,
        key=key,
        method=request.method,
        path=request.path,
        request_fingerprint=_fingerprint(),
        status_code=response.status_code,
        response_body=_redacted(response.get_data(as_text=True), redact),
        response_headers={h: response.headers[h] for h in REPLAYED_HEADERS if h in response.headers},
    )


def _run_reconnecting(func, args, kwargs):
    """``func(*args, **kwargs)``, run once more on a fresh session if the database connection was lost.

    No connection is pinged before use (that is a round trip per request). A connection the
    server dropped (a restart, an idle timeout, a failover) fails on its first statement
    instead; SQLAlchemy then discards it and every connection older than it, and the lost
    transaction committed nothing, so the view runs again on a new connection.
    """
    try:
        return func(*args, **kwargs)
    except DBAPIError as error:
        if not error.connection_invalidated:
            raise
        close_session()
        g.pop("after_commit", None)
        return func(*args, **kwargs)


def wrap_view(func, *, write: bool, idempotent: bool, replay_redacts: tuple[str, ...] = ()):
    """``replay_redacts``: response fields a replay answers as null (secrets shown once)."""
    permission = getattr(func, "required_permission", None)

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        key = request.headers.get("Idempotency-Key") if idempotent else None
        if key is not None and not (0 < len(key) <= MAX_KEY_LENGTH):
            abort(422, message="Idempotency-Key must be 1 to 255 characters.",
                  errors={"headers": {"Idempotency-Key": ["must be 1 to 255 characters"]}})
        db_session = session()
        try:
            if key is not None:
                # A replay is authorised exactly like the request it repeats.
                if permission is not None:
                    check_permission(permission)
                purge_expired_idempotency_records(db_session, _expiry_cutoff(), g.principal.workspace_id)
                existing = _find_record(db_session, key)
                if existing is not None:
                    return _replay(existing)
            failure = None
            try:
                response = current_app.make_response(_run_reconnecting(func, args, kwargs))
            except Exception as error:  # includes HTTP errors raised with abort()
                if key is None:
                    raise
                response, failure = None, error
            db_session = session()  # a fresh one if the view ran again after a lost connection
            if response is not None and not write:
                return response
            if response is not None and response.status_code < 400:
                if key is not None:
                    save_idempotency_record(db_session, **_record_for(key, response, replay_redacts))
                try:
                    db_session.commit()
                    _run_after_commit()
                    return response
                except IntegrityError:
                    if key is None:
                        raise
            # The request failed. With an Idempotency-Key, the likely cause is a
            # concurrent twin that committed first (its unique rows or its record
            # made ours conflict): then its answer is ours too.
            db_session.rollback()
            g.pop("after_commit", None)  # nothing was committed: nothing to follow up
            if key is not None:
                existing = _find_record(db_session, key)
                if existing is not None:
                    return _replay(existing)
            if failure is not None:
                raise failure
            return response
        except BaseException:
            db_session.rollback()
            g.pop("after_commit", None)
            raise

    return wrapper
