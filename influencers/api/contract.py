"""Shapes of the OpenAPI document that client generators turn into clean types.

apispec's defaults give generators trouble in a few recurring ways; the fixes live
here, once, as a marshmallow attribute function every field goes through:

- a nullable enum (``enum: [..., null], nullable: true``) becomes a named enum
  component referenced as ``allOf: [$ref], nullable: true``: one type in clients
  instead of three (``PostKindType1``, ``PostKindType2Type1``...);
- a nullable nested schema (``anyOf: [{type: object, nullable}, $ref]``) becomes
  ``allOf: [$ref], nullable: true``: ``Emv | None`` instead of an extra empty model;
- enums whose values are not identifiers (``-score``, ``18-24``) get
  ``x-enum-varnames`` (``SCORE_DESC``, ``AGE_18_24``) instead of ``VALUE_1``.

Examples (``openapi/examples.json``, recorded from the demo data by
``tools/record_openapi_examples.py``) are put on operations by :func:`add_examples`.
"""
from __future__ import annotations

import json
import re
from importlib import resources

import marshmallow as ma
from apispec import BasePlugin

EXAMPLES_RESOURCE = "openapi_examples.json"


def _member_name(value: str, prefix: str) -> str:
    descending = value.startswith("-")
    words = re.sub(r"[^A-Za-z0-9]+", "_", value.replace("+", "_plus")).strip("_").upper()
    if descending:
        words += "_DESC"
    if not words[:1].isalpha():
        words = f"{prefix}_{words}"
    return words


def enum_member_names(values: list, field_name: str | None) -> list[str] | None:
    """Readable member names for string enums that need them (None when the values already are names)."""
    strings = [v for v in values if v is not None]
    if not strings or not all(isinstance(v, str) for v in strings):
        return None
    if all(re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", v) for v in strings):
        return None
    prefix = (field_name or "value").split("_")[0].upper()
    return [_member_name(v, prefix) for v in strings]


def _pascal(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", name) if part)


def _enum_component_name(field: ma.fields.Field) -> str:
    explicit = field.metadata.get("enum_name")
    if explicit:
        return explicit
    schema = field.parent
    while isinstance(schema, ma.fields.Field):
        schema = schema.parent
    owner = type(schema).__name__.removesuffix("Schema") if schema is not None else ""
    return owner + _pascal(field.name or "value")


class FreeForm(ma.fields.Raw):
    """JSON whose shape varies (per job kind, per model version...): documented as a free-form
    object, or as the JSON schema given; always give it a description saying what it holds."""

    def __init__(self, *, json_schema: dict | None = None, **kwargs):
        super().__init__(**kwargs)
        self.json_schema = json_schema or {"type": "object", "additionalProperties": True}


def contract_attributes(self, field, ret, **_kwargs) -> dict:
    """apispec attribute function (bound to the OpenAPIConverter): see the module docstring."""
    if isinstance(field, FreeForm):
        kept = {key: ret[key] for key in ("description", "nullable", "readOnly", "writeOnly") if key in ret}
        ret.clear()
        ret.update(field.json_schema, **kept)
    enum = ret.get("enum")
    if isinstance(enum, list):
        names = field.metadata.get("x-enum-varnames") or enum_member_names(enum, field.name)
        if names:
            ret["x-enum-varnames"] = names
        if None in enum:
            values = [v for v in enum if v is not None]
            component = {key: ret.pop(key) for key in ("type", "enum", "x-enum-varnames") if key in ret}
            component["enum"] = values
            ret.pop("nullable", None)
            name = _enum_component_name(field)
            schemas = self.spec.components.schemas
            suffix = 2
            while name in schemas and schemas[name] != component:
                name, suffix = f"{_enum_component_name(field)}{suffix}", suffix + 1
            if name not in schemas:
                self.spec.components.schema(name, component=component)
            ret["allOf"] = [{"$ref": f"#/components/schemas/{name}"}]
            ret["nullable"] = True
    any_of = ret.get("anyOf")
    if isinstance(any_of, list) and len(any_of) == 2 and {"type": "object", "nullable": True} in any_of:
        (ref,) = [option for option in any_of if option != {"type": "object", "nullable": True}]
        del ret["anyOf"]
        ret["allOf"] = [ref]
        ret["nullable"] = True
    return {}


# Shared header parameters flask-smorest declares once (as components).
ETAG_EXAMPLE = '"0b4e7a0e5fe84ad35fb5f95b9ceeac79"'


def document_shared_parameters(spec) -> None:
    for name in ("IF_MATCH", "IF_NONE_MATCH"):
        parameter = spec.components.parameters.get(name)
        if parameter is not None:
            parameter["example"] = ETAG_EXAMPLE
            parameter.setdefault("description", "The ETag the resource was last read with")


def load_examples() -> dict:
    text = resources.files("influencers.api").joinpath(EXAMPLES_RESOURCE).read_text()
    return json.loads(text)


class ExamplesPlugin(BasePlugin):
    """Puts each operation's recorded parameters, request and success response on it.

    ``examples[operationId]`` holds ``parameters`` ({name: value}), ``request``
    ({media type: body}) and ``responses`` ({status: {media type: body}}).
    """

    def __init__(self, examples: dict):
        super().__init__()
        self.examples = examples

    def path_helper(self, path=None, operations=None, parameters=None, **_kwargs):
        # Path-level parameters (the path's ids); the operation's own parts in operation_helper,
        # which runs after the marshmallow plugin has expanded query schemas into parameters.
        for operation in (operations or {}).values():
            values = self.examples.get(operation.get("operationId"), {}).get("parameters", {})
            for parameter in parameters or []:
                if isinstance(parameter, dict) and parameter.get("name") in values:
                    parameter["example"] = values[parameter["name"]]

    def operation_helper(self, path=None, operations=None, **_kwargs):
        for operation in (operations or {}).values():
            example = self.examples.get(operation.get("operationId"))
            if example:
                _add_example(operation, example)


def _add_example(operation: dict, example: dict) -> None:
    values = example.get("parameters", {})
    for parameter in operation.get("parameters", []):
        if isinstance(parameter, dict) and parameter.get("name") in values:
            parameter["example"] = values[parameter["name"]]
    for media_type, body in example.get("request", {}).items():
        content = operation.get("requestBody", {}).get("content", {}).get(media_type)
        if content is not None:
            content["example"] = body
    for status, bodies in example.get("responses", {}).items():
        response = operation.get("responses", {}).get(status) or operation.get("responses", {}).get(int(status))
        if not isinstance(response, dict):
            continue
        for media_type, body in bodies.items():
            content = response.get("content", {}).get(media_type)
            if content is not None:
                content["example"] = body
