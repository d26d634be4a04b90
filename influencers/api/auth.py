"""Bearer-key authentication and role checks for every API request."""
from __future__ import annotations

import functools

from flask import current_app, g, request
from flask_smorest import abort

SECURITY_SCHEME_NAME = "bearerAuth"
SECURITY_SCHEME = {
    "type": "http",
    "scheme": "bearer",
    "bearerFormat": "inf_<prefix>_<secret>",
    "description": "An API key created with `influencers key create` or `POST /v1/keys`.",
}


def authenticate_request() -> None:
    """Sets ``g.principal`` from the Authorization header, or answers 401."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        abort(401, headers={"WWW-Authenticate": 'Bearer realm="influencers"'})
    principal = current_app.extensions["influencers.key_cache"].authenticate(token.strip())
    if principal is None:
        abort(401, message="The API key is invalid or revoked.",
              headers={"WWW-Authenticate": 'Bearer realm="influencers", error="invalid_token"'})
    g.principal = principal


def check_permission(permission: str) -> None:
    """403 unless the caller's role grants ``permission``."""
    if not g.principal.can(permission):
        abort(403, message=f"The '{g.principal.role}' role cannot do this (needs '{permission}').")


def requires(permission: str):
    """Decorator: the caller's role must grant ``permission`` (403 otherwise).

    The permission is also kept on the view (``required_permission``) so that an
    ``Idempotency-Key`` replay, answered before the view runs, is authorised too.
    """

    def decorator(func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            check_permission(permission)
            return func(*args, **kwargs)

        wrapper.required_permission = permission
        return wrapper

    return decorator


def current_workspace_id() -> int:
    return g.principal.workspace_id
