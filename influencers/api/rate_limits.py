"""Request rate limits: per API key over all endpoints, and failed authentication per client address.

- One budget per API key (``INFLUENCERS_RATE_LIMIT``) shared by every endpoint, as the
  README documents; requests without a well-formed key count per client address.
- Failed authentication (a missing, unknown or revoked key) is limited per client
  address (``INFLUENCERS_AUTH_FAILURE_LIMIT``). Once over it, the address answers 429
  before any key is checked, so guessing keys learns nothing until the window passes.
- When the limiter's storage (e.g. Redis) is unreachable, limits fail open: requests
  are served, limited per process in memory, and a warning is logged (flask-limiter's
  in-memory fallback; it returns to the storage once it answers again). Availability
  of the API does not depend on the limiter's storage.
- ``Retry-After`` is sent with 429 (and 503) only, never on successful answers.
"""
from __future__ import annotations

import logging
import math
import time

import limits
from flask import Flask, request
from flask_limiter import Limiter
from flask_limiter._manager import LimitManager
from flask_smorest import abort
from limits.storage import MemoryStorage

log = logging.getLogger(__name__)

FAILED_AUTH_NAMESPACE = "failed-auth"
SWEEP_SECONDS = 1.0


class SweepingMemoryStorage(MemoryStorage):
    """``limits``' in-memory storage without its expiry timer.

    The stock storage starts a ``threading.Timer`` (a new thread) on a count whenever its
    previous one has finished, which under steady traffic is nearly every request. Reads
    already drop an expired window of their own key; the other expired windows are swept
    on a count at most once per ``SWEEP_SECONDS``, on the request's thread, so memory stays
    bounded by the keys seen in the last window.
    """

    STORAGE_SCHEME = ["influencers-memory"]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.timer.cancel()  # the one the base class starts at construction
        self._swept_at = time.time()

    def _MemoryStorage__schedule_expiry(self) -> None:  # noqa: N802 (the base class's private hook)
        now = time.time()
        if now - self._swept_at >= SWEEP_SECONDS:
            self._swept_at = now
            self._MemoryStorage__expire_events()


class ResolvedLimitsCache(LimitManager):
    """flask-limiter's limit manager, remembering which limits apply to each endpoint.

    flask-limiter works out a request's limits (application, default, decorated and blueprint
    limits and their exemptions) anew on every request: about 40% of its cost per request,
    for an answer that changes only when a limit or an exemption is declared. Here each answer
    is kept per endpoint until then. Limits whose value is a callable are evaluated per request
    by design, so while any is declared nothing is kept.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._forget()

    def _forget(self) -> None:
        self._resolved: dict = {}
        self._exemptions: dict = {}
        groups = [*self._application_limits, *self._default_limits,
                  *(group for groups in (*self._decorated_limits.values(), *self._blueprint_limits.values())
                    for group in groups)]
        self._static = all(not callable(group.limit_provider) for group in groups)

    def resolve_limits(self, app, endpoint=None, blueprint=None, callable_name=None, in_middleware=False,
                       marked_for_limiting=False):
        if not self._static:
            return super().resolve_limits(app, endpoint, blueprint, callable_name, in_middleware,
                                          marked_for_limiting)
        key = (app, endpoint, blueprint, callable_name, in_middleware, marked_for_limiting)
        resolved = self._resolved.get(key)
        if resolved is None:
            resolved = self._resolved[key] = tuple(
                tuple(limits) for limits in super().resolve_limits(
                    app, endpoint, blueprint, callable_name, in_middleware, marked_for_limiting))
        return tuple(list(limits) for limits in resolved)

    def exemption_scope(self, app, endpoint, blueprint):
        key = (app, endpoint, blueprint)
        scope = self._exemptions.get(key)
        if scope is None:
            scope = self._exemptions[key] = super().exemption_scope(app, endpoint, blueprint)
        return scope


def _declares(name: str):
    def method(self, *args, **kwargs):
        result = getattr(LimitManager, name)(self, *args, **kwargs)
        self._forget()
        return result

    method.__name__ = name
    return method


for _name in ("set_application_limits", "set_default_limits", "add_decorated_limit", "add_blueprint_limit",
              "add_route_exemption", "add_blueprint_exemption", "add_endpoint_hint"):
    setattr(ResolvedLimitsCache, _name, _declares(_name))


def _storage_uri(url: str) -> str:
    # The default in-process storage is ours (no timer thread per request); the URL's options stay.
    if url.startswith("memory://"):
        return "influencers-memory://" + url[len("memory://"):]
    return url


def _rate_limit_key() -> str:
    """Limits apply per API key (its public prefix), or per client address without one."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    parts = token.strip().split("_", 2)
    if scheme.lower() == "bearer" and len(parts) == 3:
        return f"key:{parts[1]}"
    return f"addr:{request.remote_addr}"


def _storage_options(url: str) -> dict:
    # An unreachable Redis must not hold a request for the client library's default timeouts.
    if url.startswith(("redis://", "rediss://", "redis+")):
        return {"socket_connect_timeout": 1, "socket_timeout": 1}
    return {}


class FailedAuthLimit:
    """Counts failed authentications per client address in the limiter's storage."""

    def __init__(self, limiter: Limiter, limit: str):
        self.limiter = limiter
        self.limit = limits.parse(limit)

    def _address(self) -> str:
        return request.remote_addr or "unknown"

    def retry_after(self) -> int | None:
        """Seconds until the address may try again, or None when it is under the limit."""
        try:
            strategy = self.limiter.limiter
            if strategy.test(self.limit, FAILED_AUTH_NAMESPACE, self._address()):
                return None
            reset_at, _remaining = strategy.get_window_stats(self.limit, FAILED_AUTH_NAMESPACE, self._address())
        except Exception as error:  # storage down: fail open, like the request limits
            log.warning("rate limit storage unreachable, failed-authentication limit not applied: %s", error)
            return None
        return max(1, math.ceil(reset_at - time.time()))

    def record_failure(self) -> None:
        try:
            self.limiter.limiter.hit(self.limit, FAILED_AUTH_NAMESPACE, self._address())
        except Exception as error:
            log.warning("rate limit storage unreachable, failed authentication not counted: %s", error)


def install(app: Flask, settings, public_endpoints: set[str]) -> FailedAuthLimit:
    # Registered before the limiter's own hook: Flask runs after_request hooks in reverse
    # order, so this one sees the headers the limiter injects.
    @app.after_request
    def _retry_after_only_when_refused(response):
        if response.status_code not in (429, 503):
            response.headers.pop("Retry-After", None)
        return response

    limiter = Limiter(
        key_func=_rate_limit_key,
        application_limits=[settings.rate_limit],
        application_limits_exempt_when=lambda: request.endpoint is None or request.endpoint in public_endpoints,
        storage_uri=_storage_uri(settings.rate_limit_storage_url),
        storage_options=_storage_options(settings.rate_limit_storage_url),
        headers_enabled=True,
        in_memory_fallback_enabled=True,
    )
    manager = limiter.limit_manager
    limiter.limit_manager = ResolvedLimitsCache(
        application_limits=manager._application_limits, default_limits=manager._default_limits,
        decorated_limits=manager._decorated_limits, blueprint_limits=manager._blueprint_limits,
        route_exemptions=manager._route_exemptions, blueprint_exemptions=manager._blueprint_exemptions)
    limiter.init_app(app)

    return FailedAuthLimit(limiter, settings.auth_failure_limit)


def check_failed_auth(failed_auth: FailedAuthLimit, authenticate) -> None:
    """Runs ``authenticate()`` unless the address is over its failed-authentication limit (429)."""
    wait = failed_auth.retry_after()
    if wait is not None:
        abort(429, message="Too many failed authentication attempts from this address; retry later.",
              headers={"Retry-After": str(wait)})
    try:
        authenticate()
    except Exception as error:
        if getattr(error, "code", None) == 401:
            failed_auth.record_failure()
        raise
