"""NDJSON imports over HTTP (the CLI's `influencers import` runs the same importer)."""
from __future__ import annotations

from dataclasses import asdict

from flask import current_app, request
from flask_smorest import abort

from influencers.api.auth import current_workspace_id, requires
from influencers.api.base import Blueprint
from influencers.api.imports.schemas import ImportReportSchema

blp = Blueprint("imports", __name__, url_prefix="/v1/imports", description="Bulk NDJSON imports")

NDJSON_TYPES = ("application/x-ndjson", "application/ndjson", "application/jsonl", "text/plain")


@blp.route(
    "",
    methods=["POST"],
    operation_id="createImport",
    summary="Import NDJSON records (creators, posts, snapshots, audiences, edges)",
    # Re-sending the same body changes nothing (records upsert on natural keys),
    # so the import is idempotent without an Idempotency-Key.
    idempotent=False,
)
@requires("write")
@blp.doc(requestBody={
    # A body is needed (without one the answer is an error), but openapi-python-client
    # (0.29, issue #1451) generates code that does not import for a *required* body with
    # several media types; declared optional, every generated client works.
    "required": False,
    "description": (
        "One record per line, in the format of `docs/import-format.md`: as the body itself "
        "(`application/x-ndjson`), or as the file `file` of a `multipart/form-data` upload "
        "(what generated clients send); both go through the same importer. Send one: "
        "a request without records is an error."),
    "content": {
        "application/x-ndjson": {"schema": {"type": "string", "format": "binary"}},
        "multipart/form-data": {"schema": {
            "type": "object",
            "required": ["file"],
            "properties": {"file": {"type": "string", "format": "binary",
                                    "description": "The NDJSON file (any file name)"}},
        }},
    },
})
@blp.response(200, ImportReportSchema, description="The import report: valid lines stored, rejected ones listed")
@blp.alt_response(413, description="The body exceeds the import size limit (use the CLI for larger files)")
@blp.alt_response(415, description="The body is not NDJSON")
@blp.alt_response(422, description="The body holds no records")
def create_import():
    mimetype = request.mimetype or ""
    if mimetype == "multipart/form-data":
        upload = request.files.get("file")
        if upload is None:
            abort(422, message="Send the NDJSON file as the form field 'file'.",
                  errors={"files": {"file": ["Missing data for required field."]}})
        stream = upload.stream
    elif mimetype in NDJSON_TYPES:
        stream = request.stream
    else:
        abort(415, message="Send the records as application/x-ndjson or as the file 'file' of a "
                           f"multipart/form-data upload (got '{mimetype or 'no content type'}').")
    from influencers.imports.importer import run_import

    settings = current_app.extensions["influencers.settings"]
    # Reading the stream enforces the import body limit (413 beyond it).
    report = run_import(
        current_app.extensions["influencers.db"],
        current_workspace_id(),
        stream,
        secret=settings.pseudonym_secret,
    )
    _no_records_is_an_error(report)
    return asdict(report)


def _no_records_is_an_error(report) -> None:
    """An empty (or blank-only) body is a client error, not a successful import of nothing."""
    if report.lines_read == report.blank_lines:
        abort(422, message="The import body holds no records.",
              errors={"body": {"_schema": ["holds no records: send one JSON record per line"]}})
