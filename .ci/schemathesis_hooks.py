"""Schemathesis hooks (loaded via SCHEMATHESIS_HOOKS): NDJSON import bodies, and the documented
behaviours that checks report as failures though the API does what it documents.

Every failure dropped here is a behaviour the OpenAPI document describes in words but OpenAPI 3.0
cannot express as a schema; each rule says why. Schemathesis prints the dropped failures' count.
"""
import json
import re

import schemathesis
from schemathesis.openapi.checks import EnsureResourceAvailability, RejectedPositiveData


@schemathesis.serializer("application/x-ndjson")
def ndjson(ctx, value):
    if isinstance(value, (bytes, str)):
        return value if isinstance(value, bytes) else value.encode()
    items = value if isinstance(value, list) else [value]
    return "\n".join(json.dumps(item) for item in items).encode()


# 422 answers to schema-valid requests, each for a rule the document states in the field's or
# the operation's description, which no OpenAPI 3.0 schema keyword can state:
DOCUMENTED_422 = [
    # Conditional requests: reusing an Idempotency-Key with another body is refused (422, as the
    # IETF Idempotency-Key draft says); schemathesis reuses the keys it generates across bodies.
    ("headers", "Idempotency-Key", re.compile(r"already used with a different request")),
    # Cross-field rules: a minimum above its maximum, fields that exclude or need each other.
    (None, None, re.compile(r"must not exceed|must be after|give either|not both|give a |give at least one"
                            r"|needs method=exact|brief versions are|must not be before start_date"
                            # a label's kinds (its description: for `fraud` only)
                            r"|kinds are only given with a 'fraud' label"
                            # an optimisation's budget (currency's and fees' descriptions) and
                            # platform (its description: required with search unless fixed)
                            r"|a budget needs (fees|its currency)|give the platform \(in search or here\)"
                            # scoring model documents: weights sum to 1 (the field's description),
                            # the reach floor below its ceiling
                            r"|must sum to 1|needs a positive weight|must be below reach_log10_ceiling")),
    # References that must name existing objects of the caller's workspace (ids, versions, brands).
    (None, None, re.compile(r"unknown (creators|deliverable ids)|no such (rate card version|creators|brands)"
                            r"|not in this workspace|no brand named")),
    # Keys of a map with a format or from a list (currencies, KPIs, platforms): OpenAPI 3.0 has no
    # propertyNames, so the descriptions say what the keys are.
    ("json", "exchange_rates", re.compile(r"ISO 4217")),
    ("json", "target_kpis", re.compile(r"^Must be one of: ")),
    ("json", "rates", re.compile(r"^Must be one of: ")),
    ("json", "handles", re.compile(r"^Must be one of: ")),
    ("json", "fees", re.compile(r"^a creator id$")),
    # A brief's requirements.counts is keyed by content format (its description lists them).
    ("json", "requirements", re.compile(r"^Must be one of: post, reel, story")),
    # A scoring model document names each unknown top-level field (the schema stays open so the
    # calibration service, not the parser, can name them all; see ScoringModelEditSchema).
    ("json", None, re.compile(r"^unknown field$")),
    # URL fields take absolute URLs with a host (webhooks: https only); generators send any string.
    (None, None, re.compile(r"^Not a valid URL\.$|must be an absolute https:// URL")),
    # Text the database cannot store: NUL, and unpaired surrogates (not Unicode scalar values),
    # rejected per field as the API conventions say; JSON strings can carry both.
    (None, None, re.compile(r"must not contain NUL")),
    # Training and comparing need enough labelled, scored creators per class (the 422 response's
    # description says how many): a state of the workspace's data, not of the request.
    ("labels", None, re.compile(r"labelled and scored; \d+ more needed$")),
    # The imported document part is "the JSON of GET /v1/scoring-models/{id}/document" (its
    # description); format: binary admits any bytes, none included (an empty part is no document).
    ("form", "document", re.compile(r"^(not valid JSON|required)$")),
    # An import body with no record (empty, or blank lines only) is an error, not an import of nothing.
    ("body", None, re.compile(r"holds no records")),
]


def _messages(errors, path=()):
    """(location, top-level field, message) of every message in an error body's ``errors``."""
    if isinstance(errors, str):
        yield (path[0] if path else None), (path[1] if len(path) > 1 else None), errors
    elif isinstance(errors, list):
        for item in errors:
            yield from _messages(item, path)
    elif isinstance(errors, dict):
        for key, value in errors.items():
            yield from _messages(value, (*path, str(key)))


def _documented_422(response) -> bool:
    try:
        errors = response.json().get("errors") or {}
    except Exception:  # noqa: BLE001 -- not our JSON error shape: a real failure
        return False
    messages = list(_messages(errors))
    if not messages:
        return False

    def explained(location, field, message):
        return any((want_location is None or want_location == location)
                   and (want_field is None or want_field == field) and pattern.search(message)
                   for want_location, want_field, pattern in DOCUMENTED_422)

    return all(explained(*m) for m in messages)


@schemathesis.hook
def filter_failure(context, failure, case, response):
    """False keeps the failure out of the run's result (see the module docstring)."""
    if isinstance(failure, RejectedPositiveData):
        sent = {name.lower() for name in (response.request.headers if response is not None else {})}
        # If-Match must carry the resource's current ETag (RFC 9110 13.1.1): any other value is a
        # schema-valid string the API answers 412, as documented on every conditional operation.
        if failure.status_code == 412 and "if-match" in sent:
            return False
        # An empty If-Match, or "*", names no version: answered 428 like a missing one (documented:
        # updates apply only to the version the client read).
        if failure.status_code == 428 and "if-match" in sent:
            value = response.request.headers.get("If-Match", "").strip()
            if value in ("", "*"):
                return False
        # A brief's If-Match is required once the campaign has a brief (the parameter's description:
        # 428 without it); the first version has no ETag to send, so the parameter stays optional.
        if (failure.status_code == 428 and "if-match" not in sent
                and case.operation.path == "/v1/campaigns/{campaign_id}/briefs" and case.method.upper() == "POST"):
            return False
        # The import reads NDJSON or a multipart upload, chosen by Content-Type; a request with no
        # Content-Type (stateful phase, empty body) names neither and answers the documented 415.
        if (failure.status_code == 415 and "content-type" not in sent
                and case.operation.path == "/v1/imports" and case.method.upper() == "POST"):
            return False
        if failure.status_code == 422 and response is not None and _documented_422(response):
            return False
    # A creator's score exists once a scoring run has scored it (404 until then, as documented):
    # a creator just created has none, which is not a lost resource.
    if isinstance(failure, EnsureResourceAvailability) and response is not None and response.status_code == 404:
        try:
            if "has not been scored yet" in response.json().get("message", ""):
                return False
        except Exception:  # noqa: BLE001
            pass
    return True
