"""Responses are serialised by compiled dumpers (influencers.api.fast_dump) that must return
exactly what marshmallow's ``Schema.dump`` returns: same keys, values and types."""
from __future__ import annotations

import datetime as dt
import decimal
import json

import marshmallow as ma
import numpy as np
import pytest
from marshmallow import fields

from influencers.api.contract import FreeForm
from influencers.api.fast_dump import compile_dump
from influencers.api.schemas import Extended


class Inner(ma.Schema):
    name = fields.String(required=True)
    value = fields.Float(allow_none=True)


class Hooked(ma.Schema):
    n = fields.Integer()

    @ma.post_dump
    def _add(self, data, **_kwargs):
        return {**data, "hooked": True}


class Outer(ma.Schema):
    id = fields.Integer(required=True)
    count = fields.Integer(as_string=True)
    ratio = fields.Float(allow_none=True)
    label = fields.String(allow_none=True)
    flag = fields.Boolean()
    when = fields.DateTime(allow_none=True)
    day = fields.Date(allow_none=True)
    tags = fields.List(fields.String(), allow_none=True)
    dates = fields.List(fields.Date())
    inner = fields.Nested(Inner, allow_none=True)
    inners = fields.Nested(Inner, many=True)
    only_name = fields.Nested(Inner, only=("name",))
    hooked = fields.Nested(Hooked)
    free = FreeForm(allow_none=True)
    from_ = fields.String(data_key="from", attribute="source")
    renamed = fields.Integer(attribute="raw_number")
    defaulted = fields.String(dump_default="fallback")
    computed = fields.Method("_compute")
    mapping = fields.Dict(keys=fields.String(), values=fields.Integer())

    def _compute(self, obj):
        return "computed"


class Row:
    def __init__(self, **values):
        self.__dict__.update(values)


def full_values(**changes):
    values = dict(
        id=7, count=3, ratio=0.25, label="é and \u2603", flag=True, when=dt.datetime(2026, 12, 7, 1, 2, 3, 456789),
        day=dt.date(2026, 12, 7), tags=["a", "b"], dates=[dt.date(2026, 1, 1)],
        inner={"name": "x", "value": 1.5}, inners=[Row(name="y", value=None), {"name": "z"}],
        only_name=Row(name="n", value=2.0), hooked={"n": 2}, free={"any": [1, {"thing": None}]},
        source="src", raw_number=12, mapping={"a": 1},
    )
    values.update(changes)
    return values


CASES = {
    "a dict": full_values(),
    "an object": Row(**full_values()),
    "an object seen through Extended": Extended(Row(**full_values()), extra=1),
    # An instance-level __getattr__ does not make a subscriptable object: marshmallow reads attributes.
    "a dict seen through Extended": Extended(full_values(), id=3),
    "missing attributes skipped": {"id": 1},
    "nulls": full_values(ratio=None, label=None, when=None, day=None, tags=None, inner=None, free=None),
    # Values of another type than the field's go through the field's own conversion.
    "foreign value types": full_values(id=np.int64(5), ratio=decimal.Decimal("0.5"), label=12, flag=1,
                                       tags=("t", 3), count=np.int32(4), raw_number=7.0),
    "a float for an integer": full_values(id=2.9),
}


@pytest.mark.parametrize("name", list(CASES))
def test_compiled_dump_equals_marshmallow(name):
    schema = Outer()
    obj = CASES[name]
    expected = schema.dump(obj)
    got = compile_dump(schema)(obj)
    assert got == expected
    # Equal and of the same types, so the JSON bytes are the same too.
    assert json.dumps(got, sort_keys=True, default=str) == json.dumps(expected, sort_keys=True, default=str)
    assert [type(v) for _, v in sorted(got.items())] == [type(v) for _, v in sorted(expected.items())]


def test_many_and_only():
    rows = [Row(**full_values(id=i)) for i in range(3)]
    assert compile_dump(Outer(many=True))(rows) == Outer(many=True).dump(rows)
    assert compile_dump(Outer())(rows, many=True) == Outer().dump(rows, many=True)
    partial = Outer(only=("id", "inner", "from_"))
    assert compile_dump(partial)(rows[0]) == partial.dump(rows[0])


def test_every_api_response_schema_compiles():
    """Every response of the API is dumped by a compiled dumper (documented from the same schema)."""
    from influencers.app import create_app

    app = create_app()
    compiled = 0
    for view in app.view_functions.values():
        apidoc = getattr(view, "_apidoc", {})
        documented = apidoc.get("response", {}).get("responses", {})
        for status in apidoc.get("success_status_codes", ()):
            for response in documented[status]:
                schema = response.get("schema")
                if isinstance(schema, ma.Schema):
                    assert schema.dump.__qualname__.startswith("compile_dump") or schema._hooks.get("post_dump")
                    compiled += 1
    assert compiled > 50
