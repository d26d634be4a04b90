"""Shared marshmallow building blocks for the API's schemas."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, pre_load

PAGINATION_ARGS = ("page", "page_size")


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


class BodySchema(ma.Schema):
    """Request bodies: unknown fields are rejected (422), never silently dropped."""

    class Meta:
        unknown = ma.RAISE


class QuerySchema(ma.Schema):
    """Query strings: unknown parameters are rejected too (a typo'd filter must not match everything).

    ``page``/``page_size`` belong to flask-smorest's pagination, which reads them separately.
    """

    class Meta:
        unknown = ma.RAISE

    @pre_load
    def _leave_pagination_alone(self, data, **_kwargs):
        # webargs' MultiDictProxy returns lists for List fields on item access.
        return {key: data[key] for key in data if key not in PAGINATION_ARGS}


class ResponseSchema(ma.Schema):
    pass


def one_of(values):
    return ma.validate.OneOf(values)
