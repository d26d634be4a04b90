"""NDJSON imports over HTTP (the CLI's `influencers import` runs the same importer)."""
from __future__ import annotations

from dataclasses import asdict

from flask import current_app, g, jsonify, request
from flask_smorest import abort

from influencers.api import unit_of_work
from influencers.api.auth import current_workspace_id, requires
from influencers.api.base import Blueprint
from influencers.api.bodies import prefers_async, spool_request_body
from influencers.api.imports.schemas import ImportReportSchema
from influencers.api.scoring.schemas import JobSchema

blp = Blueprint("imports", __name__, url_prefix="/v1/imports", description="Bulk NDJSON imports")

NDJSON_TYPES = ("application/x-ndjson", "application/ndjson", "application/jsonl", "text/plain")


@blp.route(
    "",
    methods=["POST"],
    operation_id="createImport",
    summary="Import NDJSON records (creators, posts, snapshots, audiences, edges, labels; analysts: labels only)",
    # Re-sending the same body changes nothing (records upsert on natural keys),
    # so the import is idempotent without an Idempotency-Key.
    idempotent=False,
)
# Analysts (score, no write) import label records only: their verdicts, not creator data.
@requires("score")
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
@blp.doc(parameters=[{
    "in": "header", "name": "Prefer", "required": False, "schema": {"type": "string"},
    "description": "`respond-async`: run the import in the background and answer 202 with its job at once "
                   "(imports above the server's size threshold always do)."}])
@blp.response(200, ImportReportSchema, description="The import report: valid lines stored, rejected ones listed")
@blp.alt_response(202, schema=JobSchema, description=(
    "The import runs in the background (a large body, or `Prefer: respond-async`): poll the job at `Location`; "
    "its `progress` grows with the bytes imported and its `result` is the import report"))
@blp.alt_response(400, description="The body ended before its declared Content-Length; nothing was imported")
@blp.alt_response(413, description="The body exceeds the import size limit (use the CLI for larger files)")
@blp.alt_response(415, description="The body is not NDJSON")
@blp.alt_response(422, description="The body holds no records")
def create_import():
    from influencers.imports.importer import run_import

    settings = current_app.extensions["influencers.settings"]
    mimetype = request.mimetype or ""
    if mimetype == "multipart/form-data":
        # werkzeug has read the whole form already (the file spooled to a temporary file).
        body, size = _uploaded_file()
    elif mimetype in NDJSON_TYPES:
        # The whole body first (413 beyond the limit, 400 if cut short), so no transaction or
        # import lock waits on the client.
        body, size = spool_request_body(memory_bytes=min(settings.import_async_bytes, 8 * 1024 * 1024))
    else:
        abort(415, message="Send the records as application/x-ndjson or as the file 'file' of a "
                           f"multipart/form-data upload (got '{mimetype or 'no content type'}').")
    db = unit_of_work.database()
    with body:
        if size == 0:
            _no_records()
        if prefers_async() or size >= settings.import_async_bytes:
            return _import_in_background(db, settings, body, size)
        report = run_import(db, current_workspace_id(), body, secret=settings.pseudonym_secret, **_allowed_types())
    _no_records_is_an_error(report)
    return asdict(report)


def _uploaded_file():
    """The form's ``file`` (rewound) and its size; 422 naming the field without it."""
    upload = request.files.get("file")
    if upload is None:
        abort(422, message="Send the NDJSON file as the form field 'file'.",
              errors={"files": {"file": ["Missing data for required field."]}})
    stream = upload.stream
    size = stream.seek(0, 2)
    stream.seek(0)
    return stream, size


def _import_in_background(db, settings, body, size: int):
    from influencers.imports import jobs, uploads
    from influencers.jobs import runner

    upload = uploads.save_upload(settings, body)
    session = unit_of_work.session()
    job_id = jobs.queue_import(session, current_workspace_id(), upload, size, **_allowed_types())
    unit_of_work.after_commit(lambda: runner.dispatch(db, settings, job_id))
    response = jsonify(JobSchema().dump(runner.get_job(session, current_workspace_id(), job_id)))
    response.status_code = 202
    response.headers["Location"] = f"/v1/jobs/{job_id}"
    if prefers_async():
        response.headers["Preference-Applied"] = "respond-async"
    return response


ANALYST_IMPORT_REASON = "an analyst's key imports label records only"


def _allowed_types() -> dict:
    """Analysts (score, no write) import label records only: their verdicts, not creator data."""
    if g.principal.can("write"):
        return {}
    return {"only_types": ("label",), "only_reason": ANALYST_IMPORT_REASON}


def _no_records_is_an_error(report) -> None:
    """An empty (or blank-only) body is a client error, not a successful import of nothing."""
    if report.lines_read == report.blank_lines:
        _no_records()


def _no_records() -> None:
    abort(422, message="The import body holds no records.",
          errors={"body": {"_schema": ["holds no records: send one JSON record per line"]}})
