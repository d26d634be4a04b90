"""Domain errors are answered in one place: each kind has one status and the one error shape."""
from http import HTTPStatus

import pytest

from influencers import errors
from influencers.creators import service as creators

CREATOR = {"platform": "instagram", "handle": "alice", "followers": 1000}


class QuotaExhausted(errors.DomainError):
    """A kind the API's mapping has never heard of."""


class DuplicateHandle(errors.Conflict):
    pass


@pytest.mark.parametrize(("error", "status"), [
    (errors.NotFound("No thing 7 in this workspace.", field="thing_id", reason="no such thing"), 404),
    (errors.PermissionDenied("Viewers cannot do this.", field="role", reason="viewer"), 403),
    (errors.Conflict("It is archived.", field="status", reason="archived"), 409),
    (errors.StaleVersion("It moved on.", field="version", reason="now 3"), 412),
    (errors.InvalidInput("end_date", "must not be before start_date"), 422),
    (DuplicateHandle("Taken.", field="handle", reason="taken"), 409),
    (QuotaExhausted("No quota left.", field="handle", reason="quota"), 422),
])
def test_a_domain_error_from_a_service_answers_its_status_with_field_and_reason(api, monkeypatch, error, status):
    def refuse(*_args, **_kwargs):
        raise error

    monkeypatch.setattr(creators, "create_creator", refuse)
    response = api.post("/v1/creators", json=CREATOR)
    assert response.status_code == status, response.json
    assert response.json == {
        "code": status,
        "status": HTTPStatus(status).phrase,
        "message": error.message,
        "errors": {"json": {error.field: [error.reason]}},
    }


def test_a_domain_error_without_fields_has_no_errors_member(api, monkeypatch):
    def refuse(*_args, **_kwargs):
        raise QuotaExhausted()

    monkeypatch.setattr(creators, "create_creator", refuse)
    response = api.post("/v1/creators", json=CREATOR)
    assert response.status_code == 422
    assert response.json == {"code": 422, "status": "Unprocessable Entity",
                             "message": QuotaExhausted.default_message}


def test_a_domain_error_names_where_its_fields_were_given(api, monkeypatch):
    def refuse(*_args, **_kwargs):
        raise errors.InvalidInput("platform", "unknown platform", location="query")

    monkeypatch.setattr(creators, "list_creators_select", refuse)
    response = api.get("/v1/creators")
    assert response.status_code == 422
    assert response.json["errors"] == {"query": {"platform": ["unknown platform"]}}


def test_a_domain_error_rolls_back_and_is_not_replayed(api, monkeypatch):
    """With an Idempotency-Key, a refused request stores nothing: the same key may try again."""
    real_create = creators.create_creator

    def create_then_refuse(session, workspace_id, values):
        real_create(session, workspace_id, values)
        raise errors.Conflict("Refused after writing.")

    monkeypatch.setattr(creators, "create_creator", create_then_refuse)
    headers = {"Idempotency-Key": "retry-me"}
    assert api.post("/v1/creators", json=CREATOR, headers=headers).status_code == 409
    monkeypatch.setattr(creators, "create_creator", real_create)
    assert api.get("/v1/creators").json == []
    retried = api.post("/v1/creators", json=CREATOR, headers=headers)
    assert retried.status_code == 201
    assert "Idempotent-Replayed" not in retried.headers


def test_real_domain_refusals_keep_their_messages(api):
    created = api.post("/v1/creators", json=CREATOR)
    again = api.post("/v1/creators", json=CREATOR)
    assert again.status_code == 409
    assert again.json["message"] == "Creator instagram/alice already exists in this workspace."
    missing = api.get("/v1/creators/999999")
    assert missing.status_code == 404
    assert missing.json == {"code": 404, "status": "Not Found", "message": "No creator 999999 in this workspace."}
    assert created.status_code == 201


def test_no_route_translates_a_domain_error_itself():
    """Domain errors reach the one handler: a view catching one to abort would be a second mapping."""
    import ast
    import importlib
    import pkgutil
    from pathlib import Path

    import influencers.api

    catches = []
    for module_info in pkgutil.walk_packages(influencers.api.__path__, "influencers.api."):
        module = importlib.import_module(module_info.name)
        tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
        for handler in (n for n in ast.walk(tree) if isinstance(n, ast.ExceptHandler) and n.type is not None):
            caught = eval(compile(ast.Expression(handler.type), module.__file__, "eval"), vars(module))
            for kind in caught if isinstance(caught, tuple) else (caught,):
                if issubclass(kind, errors.DomainError):
                    catches.append(f"{module_info.name}:{handler.lineno} catches {kind.__name__}")
    assert catches == []
