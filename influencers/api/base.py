"""The project's flask-smorest ``Api`` and ``Blueprint`` subclasses.

Every route goes through :class:`Blueprint`, which adds, in one place:
- a unit of work: one SQLAlchemy session per request, committed when the view
  succeeds and rolled back otherwise (see ``influencers.api.unit_of_work``);
- ``Idempotency-Key`` handling for creating requests;
- the documentation every operation shares (errors, security, operationId).
"""
from __future__ import annotations

from dataclasses import dataclass

import flask
import flask_smorest
import marshmallow as ma
import sqlalchemy as sa
from flask_smorest.pagination import Page, PaginationMetadataSchema
from sqlalchemy.orm import Session
from webargs.flaskparser import FlaskParser

from influencers import db
from influencers.api import fast_dump, request_checks, unit_of_work
from influencers.api.errors import ErrorSchema, error_payload
from influencers.api.schemas import PAGINATION_ARGS

# Statuses every authenticated operation can answer, documented once here so
# generated clients know the error shape for each.
COMMON_ERRORS = {
    401: "Missing or invalid API key",
    403: "The API key's role does not allow this operation",
    429: "Too many requests",
}


# X-Pagination carries a JSON object serialised as the header's text: a header's value
# is a string, and declaring it an object makes validators and generated clients expect
# a parsed object they never get.
PAGINATION_HEADER = {
    "description": (
        "Pagination metadata, a JSON object as text: total, total_pages, first_page, last_page, "
        "page, previous_page (absent on the first), next_page (absent on the last). "
        'Example: {"total": 42, "total_pages": 3, "first_page": 1, "last_page": 3, "page": 1, "next_page": 2}'
    ),
    "schema": {"type": "string"},
}


class Api(flask_smorest.Api):
    ERROR_SCHEMA = ErrorSchema

    def _register_pagination_header(self):
        self.spec.components.header("PAGINATION", PAGINATION_HEADER, lazy=True)

    def handle_http_exception(self, error):
        """One error shape everywhere; keeps the headers werkzeug sets (``Allow`` on 405)."""
        payload, headers = error_payload(error)
        response = flask.jsonify(payload)
        response.status_code = error.code
        response.headers.extend(headers)
        return response


class SchemaReusingParser(FlaskParser):
    """webargs' Flask parser, with one instance of each argument schema class for every request.

    webargs instantiates a schema class on each parse, and an instance deep-copies its declared
    fields: for the discovery arguments (about forty fields) that cost more than the search.
    A schema's ``load`` keeps no state on the instance, so one is shared."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._schemas: dict[type, ma.Schema] = {}

    def _get_schema(self, argmap, req):
        if isinstance(argmap, type) and issubclass(argmap, ma.Schema):
            schema = self._schemas.get(argmap)
            if schema is None:
                schema = self._schemas.setdefault(argmap, argmap())
            return schema
        return super()._get_schema(argmap, req)


_PAGINATION_METADATA = PaginationMetadataSchema()


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = SchemaReusingParser()
    PAGINATION_ARGUMENTS_PARSER = SchemaReusingParser()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.public_views: set[str] = set()

    def arguments(self, schema, *, location="json", **kwargs):
        # webargs excludes unknown query parameters by default; we reject them,
        # so a misspelt filter answers 422 instead of silently matching everything.
        if location == "query":
            kwargs.setdefault("unknown", ma.RAISE)
        parse = super().arguments(schema, location=location, **kwargs)

        def decorator(func):
            view = parse(func)
            if location == "query":
                view.parses_query = True
            elif location == "json":
                view = request_checks.json_body(view)
                view = self.alt_response(415, schema=ErrorSchema,
                                         description="The body is not sent as application/json")(view)
            return view

        return decorator

    def check_etag(self, etag_data, etag_schema=None):
        request_checks.reject_if_match_star()
        super().check_etag(etag_data, etag_schema)

    @staticmethod
    def _make_pagination_metadata(page, page_size, item_count):
        """flask-smorest's metadata (the same dict), dumped by one schema instance rather than a new
        one per request."""
        metadata = {"total": item_count}
        if item_count == 0:
            metadata["total_pages"] = 0
        else:
            last_page = (item_count - 1) // page_size + 1
            metadata.update(total_pages=last_page, first_page=1, last_page=last_page)
            if page <= last_page:
                metadata["page"] = page
                if page > 1:
                    metadata["previous_page"] = page - 1
                if page < last_page:
                    metadata["next_page"] = page + 1
        return _PAGINATION_METADATA.dump(metadata)

    def paginate(self, pager=None, **kwargs):
        """flask-smorest's pagination, with ``page`` bounded in the contract too (see MAX_PAGE)."""
        paginate = super().paginate(pager, **kwargs)

        def decorator(func):
            view = paginate(func)
            schema = view._apidoc["pagination"]["parameters"]["schema"]  # a class made per paginate()
            schema._declared_fields["page"].validators.append(ma.validate.Range(max=MAX_PAGE))
            return view

        return decorator

    def response(self, status_code, schema=None, **kwargs):
        """flask-smorest's response, documented from ``schema`` as ever, dumped by the schema's
        compiled serialiser (``influencers.api.fast_dump``: the same dict, a fraction of the cost)."""
        if isinstance(schema, type) and issubclass(schema, ma.Schema):
            schema = schema()
        if isinstance(schema, ma.Schema):
            schema = fast_dump.with_fast_dump(schema)
        return super().response(status_code, schema, **kwargs)

    def alt_response(self, status_code, response=None, **kwargs):
        # An error documented without a schema still answers the one error shape:
        # say so, or generated clients hand callers None instead of the error.
        if response is None and int(status_code) >= 400 and kwargs.get("schema") is None:
            kwargs["schema"] = ErrorSchema
        return super().alt_response(status_code, response, **kwargs)

    def route(self, rule, *, parameters=None, **options):
        """Register a function view wrapped in a unit of work.

        ``operation_id`` and ``summary`` are required: generated clients name
        their methods after the operationId, so it must be explicit and stable.
        """
        operation_id = options.pop("operation_id")
        summary = options.pop("summary")
        methods = options.get("methods", ["GET"])
        assert len(methods) == 1, "one method per function view keeps operationIds one-to-one"
        path_has_id = "<" in rule
        idempotent_create = options.pop("idempotent", methods[0] == "POST")
        public = options.pop("public", False)
        replay_redacts = tuple(options.pop("replay_redacts", ()))

        def decorator(func):
            errors = {} if public else dict(COMMON_ERRORS)
            if public:
                self.public_views.add(options.get("endpoint") or func.__name__)
                func = self.doc(security=[])(func)
            if path_has_id:
                errors[404] = "No such resource in this workspace"
            for status, description in errors.items():
                func = self.alt_response(status, schema=ErrorSchema, description=description)(func)
            if idempotent_create:
                func = self.doc(parameters=[IDEMPOTENCY_KEY_PARAMETER])(func)
            func = self.doc(operationId=operation_id, summary=summary)(func)
            if not getattr(func, "parses_query", False):
                paginated = "pagination" in getattr(func, "_apidoc", {})
                func = request_checks.no_query_parameters(func, allowed=PAGINATION_ARGS if paginated else ())
            wrapped = unit_of_work.wrap_view(func, write=methods[0] != "GET", idempotent=idempotent_create,
                                             replay_redacts=replay_redacts)
            return super(Blueprint, self).route(rule, parameters=parameters, **options)(wrapped)

        return decorator


IDEMPOTENCY_KEY_PARAMETER = {
    "in": "header",
    "name": "Idempotency-Key",
    "required": False,
    "description": (
        "A unique key (up to 255 characters) for this creating request. A repeat with the same "
        "key and body returns the first answer; the same key with another body answers 422."
    ),
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
}


@dataclass(frozen=True)
class Listing:
    """What a paginated view returns: the statement to page through and the session to run it in."""

    session: Session
    select: sa.Select


# Far beyond any real listing; larger offsets overflow the database's integer.
MAX_OFFSET = 10**9
# The largest page the contract allows: with the largest page size (100) its offset stays
# within MAX_OFFSET, so check_page_bounds only guards configurations with larger pages.
MAX_PAGE = MAX_OFFSET // 100


def check_page_bounds(page_params) -> None:
    """422 for a page whose first row lies beyond ``MAX_OFFSET`` (every SQL-backed pager calls it)."""
    if page_params.first_item > MAX_OFFSET:
        flask_smorest.abort(422, message="The page number is too large.",
                            errors={"query": {"page": [f"page x page_size must not exceed {MAX_OFFSET}"]}})


class SQLPage(Page):
    """flask-smorest pagination over a :class:`Listing` (one COUNT, one LIMIT/OFFSET)."""

    def __init__(self, collection: Listing, page_params):
        check_page_bounds(page_params)
        self.session, self.select = collection.session, collection.select
        super().__init__(collection, page_params)

    def rows(self) -> list:
        """The page's rows as tuples, for pages whose items are built from several columns."""
        return db.fetch_page(self.session, self.select, offset=self.page_params.first_item,
                             limit=self.page_params.page_size, rows=True)

    @property
    def items(self):
        return db.fetch_page(self.session, self.select, offset=self.page_params.first_item,
                             limit=self.page_params.page_size)

    @property
    def item_count(self):
        return db.count_rows(self.session, self.select)


def etag_of(kind: str, object_id: int, version: int) -> dict:
    """The data an ETag is computed from: it changes exactly when the stored row changes."""
    return {"kind": kind, "id": object_id, "version": version}
