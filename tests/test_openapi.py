"""The committed OpenAPI document is what the code generates, valid, and fit for client generators."""
import collections
import json
from pathlib import Path

from openapi_spec_validator import validate

from influencers.openapi import render_openapi

COMMITTED = Path(__file__).parent.parent / "openapi" / "openapi.json"
METHODS = ("get", "post", "put", "patch", "delete")


def operations(doc):
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def test_committed_document_matches_the_code():
    assert COMMITTED.read_text() == render_openapi(), "run `make openapi` and commit openapi/openapi.json"


def test_document_is_valid_openapi():
    validate(json.loads(COMMITTED.read_text()))


def test_every_operation_has_explicit_unique_id_summary_and_tag():
    doc = json.loads(render_openapi())
    ids = collections.Counter()
    for path, method, operation in operations(doc):
        where = f"{method.upper()} {path}"
        assert operation.get("operationId"), where
        assert operation.get("summary"), where
        assert operation.get("tags"), where
        # flask-smorest's fallback ids look like "get_creators_creator_id": ours are camelCase verbs.
        assert "_" not in operation["operationId"], where
        ids[operation["operationId"]] += 1
    assert not [k for k, n in ids.items() if n > 1]


def test_security_scheme_declared_and_applied():
    doc = json.loads(render_openapi())
    assert doc["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert doc["security"] == [{"bearerAuth": []}]
    public = [(p, m) for p, m, op in operations(doc) if op.get("security") == []]
    assert public == [("/health", "get")]


def test_path_parameters_are_named_after_their_resource():
    doc = json.loads(render_openapi())
    for path in doc["paths"]:
        assert "{id}" not in path, path
