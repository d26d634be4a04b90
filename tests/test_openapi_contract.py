"""The OpenAPI document is a contract generated clients can rely on.

Every check runs over every operation of the committed document, so an operation
added later (by any blueprint) is held to the same rules: error responses carry the
error schema, payloads are typed, the headers a view reads are declared, enums get
readable member names, formats are standard, and every operation carries a
realistic example (request and success response) that matches its own schema.
"""
import inspect
import json
import re

import pytest

from influencers.config import Settings
from tests.fixtures.openapi import DOCUMENT, check_example

METHODS = ("get", "post", "put", "patch", "delete")
ERROR_REF = "#/components/schemas/Error"

# https://spec.openapis.org/registry/format/ (the formats generators and validators know).
STANDARD_FORMATS = {
    "int8", "int16", "int32", "int64", "uint8", "float", "double", "decimal", "decimal128", "byte", "binary",
    "base64url", "char", "date", "date-time", "time", "duration", "password", "email", "idn-email", "hostname",
    "idn-hostname", "ipv4", "ipv6", "uri", "uri-reference", "iri", "iri-reference", "uri-template", "uuid",
    "json-pointer", "relative-json-pointer", "regex", "commonmark", "html", "media-range", "http-date",
}


def operations():
    for path, item in DOCUMENT["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, item, operation


def operation_ids():
    return [operation["operationId"] for *_, operation in operations()]


def by_id(operation_id):
    for path, method, item, operation in operations():
        if operation["operationId"] == operation_id:
            return path, method, item, operation
    raise KeyError(operation_id)


def resolve(node):
    while isinstance(node, dict) and "$ref" in node:
        section, name = node["$ref"].split("/")[-2:]
        node = DOCUMENT["components"][section][name]
    return node


def responses(operation):
    for status, response in operation["responses"].items():
        yield status, resolve(response)


def success_contents(operation):
    for status, response in responses(operation):
        if status.startswith("2"):
            for media_type, content in response.get("content", {}).items():
                yield status, media_type, content


def parameters(item, operation):
    return [resolve(p) for p in item.get("parameters", []) + operation.get("parameters", [])]


def schema_nodes(schema, where, seen):
    """Every schema node reachable from ``schema`` (components followed once)."""
    if "$ref" in schema:
        if schema["$ref"] in seen:
            return
        seen.add(schema["$ref"])
        yield from schema_nodes(resolve(schema), schema["$ref"], seen)
        return
    yield where, schema
    for key in ("allOf", "anyOf", "oneOf"):
        for index, sub in enumerate(schema.get(key, [])):
            yield from schema_nodes(sub, f"{where}/{key}/{index}", seen)
    for name, sub in schema.get("properties", {}).items():
        yield from schema_nodes(sub, f"{where}.{name}", seen)
    if isinstance(schema.get("additionalProperties"), dict):
        yield from schema_nodes(schema["additionalProperties"], f"{where}{{*}}", seen)
    if isinstance(schema.get("items"), dict):
        yield from schema_nodes(schema["items"], f"{where}[]", seen)


def payload_schemas(item, operation):
    """(where, schema) of every request body, success response and parameter of an operation."""
    for media_type, content in operation.get("requestBody", {}).get("content", {}).items():
        yield f"request {media_type}", content.get("schema", {})
    for status, media_type, content in success_contents(operation):
        yield f"response {status} {media_type}", content.get("schema", {})
    for parameter in parameters(item, operation):
        yield f"parameter {parameter['name']}", parameter.get("schema", {})


def untyped(schema) -> str | None:
    """Why a schema node gives generated clients nothing to type, or None."""
    if any(key in schema for key in ("$ref", "allOf", "anyOf", "oneOf", "enum")):
        return None
    kind = schema.get("type")
    if kind is None:
        return "no type"
    if kind == "array" and not schema.get("items"):
        return "an array of anything"
    if kind == "object" and not schema.get("properties"):
        extra = schema.get("additionalProperties")
        if extra is None or extra == {}:
            return "an object of anything"
        if extra is True and not schema.get("description"):
            return "a free-form object without a description saying what it holds"
    return None


@pytest.mark.parametrize("operation_id", operation_ids())
def test_every_error_response_carries_the_error_schema(operation_id):
    *_, operation = by_id(operation_id)
    for status, response in responses(operation):
        if status == "default" or int(status) >= 400:
            schema = response.get("content", {}).get("application/json", {}).get("schema")
            assert schema == {"$ref": ERROR_REF}, f"{operation_id} {status}: {response}"


@pytest.mark.parametrize("operation_id", operation_ids())
def test_every_payload_is_typed(operation_id):
    _, _, item, operation = by_id(operation_id)
    problems = []
    for where, schema in payload_schemas(item, operation):
        for node_where, node in schema_nodes(schema, where, set()):
            reason = untyped(node)
            if reason:
                problems.append(f"{node_where}: {reason}")
    for status, response in responses(operation):
        if status.startswith("2") and status != "204" and not response.get("content"):
            problems.append(f"response {status} declares no content")
    assert not problems, f"{operation_id}: {problems}"


def view_functions():
    from influencers.app import create_app

    app = create_app(Settings(database_url="sqlite://", pseudonym_secret=b"unused"))
    for rule in app.url_map.iter_rules():
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            if path in DOCUMENT["paths"] and method.lower() in DOCUMENT["paths"][path]:
                yield path, method.lower(), inspect.unwrap(app.view_functions[rule.endpoint])


HEADER_READS = {
    "If-Match": (r"request\.if_match", r"check_if_match\(", r"check_etag\("),
    "If-None-Match": (r"request\.if_none_match",),
}


def headers_read_by(view) -> set[str]:
    source = inspect.getsource(view)
    names = {name for name, patterns in HEADER_READS.items() if any(re.search(p, source) for p in patterns)}
    names |= set(re.findall(r"request\.headers(?:\.get\(|\[)\s*[\"']([A-Za-z-]+)[\"']", source))
    return names


def test_every_header_a_view_reads_is_declared():
    checked = 0
    for path, method, view in view_functions():
        item = DOCUMENT["paths"][path]
        declared = {p["name"].lower() for p in parameters(item, item[method]) if p["in"] == "header"}
        for header in headers_read_by(view):
            checked += 1
            assert header.lower() in declared, f"{method.upper()} {path} reads {header} without declaring it"
    assert checked >= 10


def test_if_match_is_declared_wherever_428_or_412_is_documented():
    for _path, _method, item, operation in operations():
        if {"412", "428"} & set(operation["responses"]):
            declared = {p["name"] for p in parameters(item, operation) if p["in"] == "header"}
            assert "If-Match" in declared, f"{operation['operationId']}"


def generated_member_name(value) -> str | None:
    """The member name openapi-python-client derives from a value (None: it falls back to VALUE_n)."""
    if isinstance(value, str) and value[:1].isalpha():
        return value.upper()
    return None


def enums():
    def walk(node, where):
        if isinstance(node, dict):
            if isinstance(node.get("enum"), list):
                yield where, node
            for key, value in node.items():
                yield from walk(value, f"{where}/{key}")
        elif isinstance(node, list):
            for index, value in enumerate(node):
                yield from walk(value, f"{where}/{index}")

    return list(walk(DOCUMENT, "#"))


def test_enums_have_readable_member_names():
    assert enums()
    for where, schema in enums():
        values = [v for v in schema["enum"] if v is not None]
        names = schema.get("x-enum-varnames") or [generated_member_name(v) for v in values]
        assert len(names) == len(values), where
        assert all(name and re.fullmatch(r"[A-Z][A-Z0-9_]*", name) for name in names), f"{where}: {names}"
        assert len(set(names)) == len(names), f"{where}: {names}"


def test_nullable_enums_are_one_named_type():
    for where, schema in enums():
        assert None not in schema["enum"], f"{where}: null belongs beside the enum (nullable allOf), not in it"
        assert not schema.get("nullable"), where


def test_only_standard_formats():
    def walk(node, where):
        if isinstance(node, dict):
            if isinstance(node.get("format"), str):
                assert node["format"] in STANDARD_FORMATS, f"{where}: format {node['format']!r}"
            for key, value in node.items():
                if key not in ("example", "examples"):
                    walk(value, f"{where}/{key}")
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(value, f"{where}/{index}")

    walk(DOCUMENT, "#")


def is_file(schema) -> bool:
    return schema.get("format") == "binary"


@pytest.mark.parametrize("operation_id", operation_ids())
def test_every_operation_has_request_and_success_examples(operation_id):
    _, _, item, operation = by_id(operation_id)
    missing = []
    for media_type, content in operation.get("requestBody", {}).get("content", {}).items():
        if "example" not in content:
            missing.append(f"request {media_type}")
    for status, media_type, content in success_contents(operation):
        if "example" not in content and not is_file(content.get("schema", {})) and not media_type.startswith("image/"):
            missing.append(f"response {status} {media_type}")
    for parameter in parameters(item, operation):
        if (parameter["in"] == "path" or parameter.get("required")) and "example" not in parameter:
            missing.append(f"parameter {parameter['name']}")
    assert not missing, f"{operation_id} lacks examples: {missing}"


@pytest.mark.parametrize("operation_id", operation_ids())
def test_examples_match_their_schemas(operation_id):
    _, _, item, operation = by_id(operation_id)
    for media_type, content in operation.get("requestBody", {}).get("content", {}).items():
        if "example" in content and "json" in media_type:
            check_example(content["example"], content["schema"], f"{operation_id} request")
    for status, media_type, content in success_contents(operation):
        if "example" in content and "json" in media_type:
            check_example(content["example"], content["schema"], f"{operation_id} {status}")
    for parameter in parameters(item, operation):
        if "example" in parameter:
            check_example(parameter["example"], parameter["schema"], f"{operation_id} {parameter['name']}")


def test_import_accepts_ndjson_and_a_form_generators_support():
    *_, operation = by_id("createImport")
    content = operation["requestBody"]["content"]
    assert set(content) >= {"application/x-ndjson", "multipart/form-data"}
    upload = resolve(content["multipart/form-data"]["schema"])
    assert upload["properties"]["file"]["format"] == "binary"
    assert upload["required"] == ["file"]


def test_graph_export_declares_its_media_types():
    *_, operation = by_id("exportGraph")
    assert set(operation["responses"]["200"]["content"]) == {"application/graphml+xml", "application/gexf+xml"}


def test_score_explanation_parts_are_named_schemas():
    schemas = DOCUMENT["components"]["schemas"]
    *_, operation = by_id("getCreatorScore")
    score = resolve(operation["responses"]["200"]["content"]["application/json"]["schema"])
    explanation = score["properties"]["explanation"]
    explanation = resolve(explanation["allOf"][0] if "allOf" in explanation else explanation)
    refs = json.dumps(explanation)
    for part in ("components", "flags"):
        assert part in explanation["properties"], part
    assert re.search(r'"#/components/schemas/\w*Component\w*"', refs), refs[:500]
    assert re.search(r'"#/components/schemas/\w*Flag\w*"', refs), refs[:500]
    assert any("Evidence" in name for name in schemas), sorted(schemas)
