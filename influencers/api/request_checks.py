"""Checks on the request itself, before its fields are parsed.

- A view that declares no query parameters answers 422 for any it is sent (views with a
  query schema reject unknown ones through it), so a misspelt filter never matches everything.
- A JSON body needs a JSON media type (``application/json`` or ``*/*+json``): 415 otherwise.
- A JSON object naming a key twice is ambiguous (which value did the client mean?): 422.
- ``If-Match: *`` would make an update unconditional: 428 at every ETag check, send the resource's ETag.
"""
from __future__ import annotations

import functools
import json

from flask import request
from flask_smorest import abort

DUPLICATE_KEY = "appears more than once in a JSON object"


def no_query_parameters(func, *, allowed=()):
    allowed = frozenset(allowed)

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        unknown = [name for name in request.args if name not in allowed]
        if unknown:
            abort(422, message="This operation takes no such query parameter.",
                  errors={"query": {name: ["Unknown field."] for name in unknown}})
        return func(*args, **kwargs)

    return wrapper


def _is_json(mimetype: str) -> bool:
    return mimetype == "application/json" or (mimetype.startswith("application/") and mimetype.endswith("+json"))


class _DuplicateKeys(ValueError):
    def __init__(self, keys):
        super().__init__("duplicate keys")
        self.keys = keys


def _no_duplicates(pairs):
    seen: dict = {}
    duplicates = []
    for key, value in pairs:
        if key in seen:
            duplicates.append(key)
        seen[key] = value
    if duplicates:
        raise _DuplicateKeys(duplicates)
    return seen


def json_body(func):
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        mimetype = request.mimetype or ""
        if not _is_json(mimetype):
            abort(415, message=f"Send the body as application/json (got '{mimetype or 'no content type'}').",
                  errors={"headers": {"Content-Type": ["must be application/json"]}})
        try:
            json.loads(request.get_data(cache=True), object_pairs_hook=_no_duplicates)
        except _DuplicateKeys as error:
            abort(422, message="The JSON body names a key twice.",
                  errors={"json": {str(key)[:100]: [DUPLICATE_KEY] for key in error.keys}})
        except (ValueError, RecursionError):
            pass  # not JSON at all: webargs answers that (400)
        return func(*args, **kwargs)

    return wrapper


def reject_if_match_star() -> None:
    """Called by every ETag precondition check (after the resource was found, so another
    workspace's id still answers 404 first)."""
    if request.if_match.star_tag:
        abort(428, message="If-Match: * is not accepted: send the resource's current ETag, so an update "
                           "applies only to the version you read.")
