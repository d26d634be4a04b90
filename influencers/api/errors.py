"""One error shape for every error the API answers.

``{"code": 422, "status": "Unprocessable Entity", "message": "...",
  "errors": {"json": {"followers": ["Not a valid integer."]}}}``

``errors`` maps a location (``json``, ``query``, ``headers``, ``path``, ``body``)
to per-field messages; it is present when the problem is with given fields.
"""
from __future__ import annotations

import logging

import marshmallow as ma
from flask import Flask, jsonify
from sqlalchemy.exc import IntegrityError, OperationalError
from werkzeug.exceptions import (
    BadRequest,
    Conflict,
    HTTPException,
    InternalServerError,
    ServiceUnavailable,
    default_exceptions,
)

from influencers import errors as domain

log = logging.getLogger(__name__)

# The one place a domain error becomes an HTTP status. A kind not listed answers as its
# nearest listed ancestor (``DomainError`` itself: 422), so a new kind is never a 500.
DOMAIN_STATUS: dict[type[domain.DomainError], int] = {
    domain.DomainError: 422,
    domain.InvalidInput: 422,
    domain.PermissionDenied: 403,
    domain.NotFound: 404,
    domain.Conflict: 409,
    domain.StaleVersion: 412,
}


class ErrorSchema(ma.Schema):
    code = ma.fields.Integer(required=True, metadata={"description": "HTTP status code"})
    status = ma.fields.String(required=True, metadata={"description": "HTTP status phrase"})
    message = ma.fields.String(metadata={"description": "What went wrong, for people"})
    errors = ma.fields.Dict(
        keys=ma.fields.String(),
        metadata={"description": "Per-location, per-field messages: {location: {field: [message]}}"},
    )


_DEFAULT_MESSAGES = {
    400: "The request could not be understood.",
    401: "A valid API key is required: send 'Authorization: Bearer <key>'.",
    403: "This API key's role does not allow this operation.",
    404: "No such resource.",
    405: "This method is not allowed on this resource.",
    409: "The request conflicts with the current state of the resource.",
    412: "The resource has changed since it was read (the If-Match ETag is stale).",
    413: "The request body is too large.",
    415: "Unsupported media type.",
    422: "The request was well-formed but some fields are invalid.",
    428: "This operation requires an If-Match header with the resource's current ETag.",
    429: "Too many requests.",
    500: "Internal server error.",
}


def error_payload(error: HTTPException) -> tuple[dict, dict]:
    """The JSON body and headers for an HTTP error (flask-smorest/webargs data included)."""
    payload = {"code": error.code, "status": error.name}
    headers: dict = {}
    data = getattr(error, "data", None) or {}
    errors = data.get("errors") or data.get("messages")
    if errors:
        payload["errors"] = errors
    message = data.get("message")
    if not message and error.description and error.description != type(error).description:
        message = error.description
    payload["message"] = message or _DEFAULT_MESSAGES.get(error.code, error.name)
    headers.update(data.get("headers") or {})
    # werkzeug puts e.g. Allow (405) and Retry-After (429/503) on the exception itself.
    for name, value in error.get_headers():
        if name.lower() != "content-type":
            headers[name] = value
    return payload, headers


def status_for(error: domain.DomainError) -> int:
    return next(DOMAIN_STATUS[kind] for kind in type(error).__mro__ if kind in DOMAIN_STATUS)


def http_error_for(error: domain.DomainError) -> HTTPException:
    """The HTTP error a domain error answers as, carrying the data ``flask_smorest.abort`` would."""
    http_error = default_exceptions[status_for(error)]()
    http_error.data = {"message": error.message}
    if error.fields:
        http_error.data["errors"] = {error.location: error.fields}
    return http_error


def _json_error(code: int, message: str, errors: dict | None = None):
    error = {400: BadRequest, 409: Conflict, 503: ServiceUnavailable}[code]()
    payload = {"code": code, "status": error.name, "message": message}
    if errors:
        payload["errors"] = errors
    response = jsonify(payload)
    response.status_code = code
    return response


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(domain.DomainError)
    def _domain(error):
        return app.extensions["influencers.api"].handle_http_exception(http_error_for(error))

    @app.errorhandler(RecursionError)
    def _too_deep(_error):
        # json.loads recurses once per nesting level: a 2 KB body of nested '['
        # would otherwise surface as a 500.
        return _json_error(400, "The JSON body is nested too deeply.", {"json": {"_schema": ["nested too deeply"]}})

    @app.errorhandler(IntegrityError)
    def _integrity(error):
        # Services check natural keys first; this is the race where two requests
        # create the same thing at once. The transaction was rolled back.
        log.info("integrity error answered with 409: %s", error.orig)
        return _json_error(409, "A resource with the same identity already exists, or a referenced one is gone.")

    @app.errorhandler(OperationalError)
    def _operational(error):
        text = str(error.orig).lower()
        if not (error.connection_invalidated or "locked" in text or "busy" in text or "connection" in text):
            return _unexpected(error)
        log.warning("database busy or unreachable: %s", error.orig)
        response = _json_error(503, "The database is busy or unavailable; retry shortly.")
        response.headers["Retry-After"] = "1"
        return response

    @app.errorhandler(Exception)
    def _unexpected(error):
        if isinstance(error, HTTPException):
            return app.extensions["influencers.api"].handle_http_exception(error)
        log.exception("unhandled error")
        return app.extensions["influencers.api"].handle_http_exception(InternalServerError())
