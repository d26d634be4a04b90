"""Shared marshmallow building blocks for the API's schemas."""
from __future__ import annotations

import re

import marshmallow as ma
from marshmallow import fields, pre_load

PAGINATION_ARGS = ("page", "page_size")


class Pattern(ma.validate.Regexp):
    """marshmallow's ``Regexp`` over the whole value: its ``re.match`` lets ``$`` match before a
    final line break, so "FR\\n" passed ``^[A-Z]{2}$``. Documented as the same OpenAPI ``pattern``."""

    def __call__(self, value):
        if self.regex.fullmatch(value) is None:
            raise ma.ValidationError(self._format_error(value))
        return value


class StrictInteger(fields.Integer):
    """An integer that is an integer: marshmallow's default accepts ``2.5e-42`` and stores 0."""

    def __init__(self, *, strict: bool = True, **kwargs):
        super().__init__(strict=strict, **kwargs)


class Count(StrictInteger):
    """A count: a strict integer >= 0 (and within a 64-bit column)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("validate", ma.validate.Range(min=0, max=2**62))
        super().__init__(**kwargs)


class QueryCount(fields.Integer):
    """A count in a query string: digits only (query values are always strings, so
    marshmallow's non-strict parsing is what turns "2000" into 2000; "2.5" is rejected)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("validate", ma.validate.Range(min=0, max=2**62))
        super().__init__(strict=False, **kwargs)


# NUL cannot be stored in PostgreSQL text, and a lone surrogate cannot be encoded as UTF-8.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
UNSTORABLE_MESSAGE = "must not contain NUL (\\u0000) or unpaired surrogate (\\ud800-\\udfff) characters"


def unstorable_text_errors(value):
    """Marshmallow-style errors for every string (or key) in ``value`` holding text no
    database column can store, or None. Checked before any field is loaded, so every
    request schema rejects it per field (422) whatever the field's own type."""
    if isinstance(value, str):
        return [UNSTORABLE_MESSAGE] if _UNSTORABLE.search(value) else None
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, (list, tuple)):
        items = enumerate(value)
    else:
        return None
    errors = {}
    for key, item in items:
        if isinstance(key, str) and _UNSTORABLE.search(key):
            errors[_UNSTORABLE.sub("?", key)] = [UNSTORABLE_MESSAGE]
            continue
        found = unstorable_text_errors(item)
        if found:
            errors[key] = found
    return errors or None


class RejectsUnstorableText(ma.Schema):
    """Request schemas: text no database column can store is refused per field (422)."""

    @pre_load
    def _reject_unstorable_text(self, data, **_kwargs):
        if not isinstance(data, dict):
            data = {key: data[key] for key in data} if hasattr(data, "keys") else data
        errors = unstorable_text_errors(data)
        if errors:
            raise ma.ValidationError(errors)
        return data


class BodySchema(RejectsUnstorableText):
    """Request bodies: unknown fields are rejected (422), never silently dropped."""

    class Meta:
        unknown = ma.RAISE


class QuerySchema(RejectsUnstorableText):
    """Query strings: unknown parameters are rejected too (a typo'd filter must not match everything).

    ``page``/``page_size`` belong to flask-smorest's pagination, which reads them separately.
    """

    class Meta:
        unknown = ma.RAISE

    @pre_load
    def _leave_pagination_alone(self, data, **_kwargs):
        # webargs' MultiDictProxy returns lists for List fields on item access. Anything
        # but a mapping (a query schema nested in a body, given 1.5) is marshmallow's to reject.
        if not hasattr(data, "keys"):
            return data
        return {key: data[key] for key in data if key not in PAGINATION_ARGS}


class ResponseSchema(ma.Schema):
    pass


def one_of(values):
    return ma.validate.OneOf(values)


class Extended:
    """An object as a response schema reads it, with attributes beside its own for that one
    response (a score summary, a secret shown once), without touching the stored object."""

    def __init__(self, obj, **attributes):
        self._obj = obj
        self.__dict__.update(attributes)

    def __getattr__(self, name):
        return getattr(self._obj, name)
