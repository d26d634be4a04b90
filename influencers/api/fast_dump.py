"""Response serialisation without marshmallow's per-field machinery, to the same result.

flask-smorest documents every response from its marshmallow schema, and that stays so;
but ``Schema.dump`` costs several function calls per field of every object (accessor,
``serialize``, ``get_value``, ``_serialize``): a 20-creator discovery page is ~800 fields,
a quarter of the request. :func:`compile_dump` reads a schema's dump fields once and builds
one small function per field; the fields whose serialisation is the identity for values of
their own type (integers, floats, strings, booleans, lists of them, nested schemas) skip
marshmallow for those values, and every other field or value goes through the field's own
``serialize``/``_serialize``. The result is the dict ``Schema.dump`` returns (a test compares
the two over every response schema of the API on sample objects).

A schema with dump hooks (``pre_dump``/``post_dump``) is dumped by marshmallow itself.
"""
from __future__ import annotations

import functools
from collections.abc import Callable

import marshmallow as ma
from marshmallow import fields
from marshmallow.utils import get_value as marshmallow_get_value

_missing = ma.missing
# Field classes whose _serialize returns a value of this exact type unchanged (as_string aside).
_IDENTITY_TYPES = {fields.Integer: int, fields.Float: float, fields.String: str, fields.Boolean: bool}


@functools.cache
def _has_no_getitem(kind: type) -> bool:
    """Whether objects of ``kind`` lack ``obj[key]``. Asked of the class, not the instance: a
    subscript uses the class's slot whatever the instance's ``__getattr__`` answers, so where
    the class has none marshmallow's key lookup fails and it reads the attribute anyway."""
    return not hasattr(kind, "__getitem__")


def _accessor(schema: ma.Schema, attr: str) -> Callable:
    """What ``schema.get_attribute(obj, attr, missing)`` returns, cheaper for the common objects."""
    if type(schema).get_attribute is not ma.Schema.get_attribute or "." in attr:
        return lambda obj: schema.get_attribute(obj, attr, _missing)

    def get(obj):
        # marshmallow.utils._get_value_for_key: a key lookup first where the object has one.
        kind = type(obj)
        if kind is dict:
            value = obj.get(attr, _missing)
            return getattr(obj, attr, _missing) if value is _missing else value
        if _has_no_getitem(kind):
            return getattr(obj, attr, _missing)
        return marshmallow_get_value(obj, attr, _missing)

    return get


def _value_converter(field: fields.Field, name: str) -> Callable | None:
    """f(value, obj) for a present value, or None when the field must serialise itself."""
    kind = type(field)
    if kind in _IDENTITY_TYPES and not getattr(field, "as_string", False):
        own_type, slow = _IDENTITY_TYPES[kind], field._serialize
        return lambda value, obj: value if type(value) is own_type or value is None else slow(value, name, obj)
    if kind is fields.List:
        inner = _value_converter(field.inner, name)
        if inner is None:
            return None
        slow = field._serialize

        def convert_list(value, obj):
            if type(value) is list:
                return [inner(each, obj) for each in value]
            return slow(value, name, obj)

        return convert_list
    if kind is fields.Nested:
        nested = field.schema
        dump = compile_dump(nested)
        many = nested.many or field.many
        return lambda value, obj: None if value is None else dump(value, many=many)
    if kind in (fields.Date, fields.DateTime):
        slow = field._serialize
        return lambda value, obj: None if value is None else slow(value, name, obj)
    return None


def _field_writer(schema: ma.Schema, attr: str, field: fields.Field) -> Callable:
    """f(obj, out): sets the field's key in ``out`` as ``Schema._serialize`` would."""
    key = field.data_key if field.data_key is not None else attr
    check_key = attr if field.attribute is None else field.attribute
    convert = _value_converter(field, attr)
    if convert is None or not field._CHECK_ATTRIBUTE or field.dump_default is not _missing:
        accessor = schema.get_attribute

        def write_slow(obj, out):
            value = field.serialize(attr, obj, accessor=accessor)
            if value is not _missing:
                out[key] = value

        return write_slow
    get = _accessor(schema, check_key)

    def write(obj, out):
        value = get(obj)
        if value is not _missing:
            out[key] = convert(value, obj)

    return write


def compile_dump(schema: ma.Schema) -> Callable:
    """``dump(obj, *, many=None)`` for ``schema``, returning what ``schema.dump`` returns."""
    if schema._hooks.get(ma.decorators.PRE_DUMP) or schema._hooks.get(ma.decorators.POST_DUMP):
        return schema.dump
    writers = [_field_writer(schema, attr, field) for attr, field in schema.dump_fields.items()]
    dict_class = schema.dict_class

    def dump_one(obj):
        out = dict_class()
        for write in writers:
            write(obj, out)
        return out

    def dump(obj, *, many: bool | None = None):
        many = schema.many if many is None else many
        if many and obj is not None:
            return [dump_one(each) for each in obj]
        return dump_one(obj)

    return dump


def with_fast_dump(schema: ma.Schema) -> ma.Schema:
    """``schema`` (an instance), its ``dump`` replaced by the compiled one. The instance is
    only ever used to dump responses and to document them (by its class, unchanged)."""
    schema.dump = compile_dump(schema)
    return schema
