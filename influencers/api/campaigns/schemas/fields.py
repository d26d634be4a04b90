"""Field types and validators the campaign schemas share: currencies, decimals as text, hashtags, mentions.

Money amounts are integer minor units (``*_minor``) beside an ISO 4217
``currency``; rates, targets and KPI values are decimal strings. No floats.
"""
from __future__ import annotations

from decimal import Decimal

from marshmallow import fields, post_load, validate

from influencers.api.converters import MAX_ID
from influencers.api.schemas import BodySchema, Pattern

CURRENCY = Pattern(r"^[A-Z]{3}$", error="must be an ISO 4217 code in capitals, e.g. EUR")
# \x1c-\x1f and \x85 spelled out: Python's \s includes them, the OpenAPI (ECMA) pattern's \s does not.
HASHTAG = Pattern(r"^#?[^\s\x1c-\x1f\x85#@]{1,100}$", error="a hashtag without spaces, e.g. #summer")
MENTION = Pattern(r"^@?[A-Za-z0-9._\-]{1,100}$", error="a handle, e.g. @brand")
SOURCE = Pattern(r"^[a-z_]{1,30}(:[A-Za-z0-9_\-]{1,60})?$",
                         error="a label such as 'shortlist:12' or 'optimiser:run-3'")
DECIMAL_PATTERN = r"^-?[0-9]{1,15}(\.[0-9]{1,10})?$"
NON_NEGATIVE_DECIMAL_PATTERN = r"^[0-9]{1,15}(\.[0-9]{1,10})?$"
ONE_ID = validate.Range(min=1, max=MAX_ID)
MINOR = {"description": "Integer minor units of the currency (cents for EUR, yen for JPY)"}


class DecimalText(fields.String):
    """A decimal number sent and stored as a string ("0.05"): never a binary float."""

    def __init__(self, *, signed: bool = False, **kwargs):
        pattern = DECIMAL_PATTERN if signed else NON_NEGATIVE_DECIMAL_PATTERN
        kwargs.setdefault("validate", Pattern(pattern, error="a decimal number as a string, e.g. \"0.05\""))
        metadata = {"format": "decimal", **kwargs.pop("metadata", {})}
        super().__init__(metadata=metadata, **kwargs)


class DecimalOut(fields.String):
    """A ``Decimal`` written as a plain decimal string (no exponent)."""

    def __init__(self, **kwargs):
        metadata = {"format": "decimal", **kwargs.pop("metadata", {})}
        super().__init__(metadata=metadata, **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        return format(Decimal(value), "f")


def _with_sigil(values, sigil):
    return [v if v.startswith(sigil) else sigil + v for v in values]


def hashtag_list(description: str, max_items: int = 30):
    return fields.List(fields.String(validate=HASHTAG), validate=validate.Length(max=max_items),
                       metadata={"description": description})


def mention_list(description: str):
    return fields.List(fields.String(validate=MENTION), validate=validate.Length(max=30),
                       metadata={"description": description})


class TagListsBody(BodySchema):
    """A body with ``hashtags`` and/or ``mentions``: stored with their # and @ whether or not the client sent them."""

    @post_load
    def _sigils(self, data, **_kwargs):
        for name, sigil in (("hashtags", "#"), ("mentions", "@")):
            if name in data:
                data[name] = _with_sigil(data[name], sigil)
        return data


