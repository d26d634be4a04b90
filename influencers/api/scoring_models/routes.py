"""HTTP routes for scoring model versions: edit, import/export, diff, activate (If-Match) and roll
back, train and compare (background jobs answering 202), comparison pictures (PNG)."""
from __future__ import annotations

import json

from flask import Response, current_app, g, request
from flask_smorest import abort

from influencers.api import unit_of_work
from influencers.api.auth import current_workspace_id, requires
from influencers.api.base import Blueprint, Listing, SQLPage
from influencers.api.schemas import Extended
from influencers.api.scoring.schemas import ScoringModelSchema
from influencers.api.scoring_models.schemas import (
    ActivationResultSchema,
    ActivationSchema,
    ComparisonRequestSchema,
    ComparisonSchema,
    DiffArgs,
    DiffSchema,
    JobStartedSchema,
    ScoringModelEditSchema,
    TrainingRequestSchema,
)
from influencers.calibration import comparison, versions
from influencers.calibration.artefacts import MAX_ARTEFACT_BYTES
from influencers.calibration.jobs import check_trainable, queue_comparison
from influencers.calibration.models import ModelComparison
from influencers.calibration.training import MIN_PER_CLASS
from influencers.jobs import runner

blp = Blueprint("scoring_models", __name__, url_prefix="/v1",
                description="Scoring model versions: edit, train, compare, activate, roll back")

ACTIVATING_ROLES = ("analyst", "admin")


def _dispatch_after_commit(job_id: int) -> None:
    db, settings = unit_of_work.database(), current_app.extensions["influencers.settings"]
    unit_of_work.after_commit(lambda: runner.dispatch(db, settings, job_id))


def _version(model_id: int, field: str | None = None):
    return versions.get_version(unit_of_work.session(), current_workspace_id(), model_id, field=field)


NOT_ENOUGH_LABELS = (f"Not enough labels: training and comparing need at least {MIN_PER_CLASS} labelled and scored "
                     "creators per class (fraud and clean); the missing count per class is under errors.labels")


@blp.route("/scoring-models", methods=["POST"], operation_id="createScoringModel",
           summary="Create a version by editing the active one (the numbers given replace the active ones)")
@requires("score")
@blp.arguments(ScoringModelEditSchema)
@blp.response(201, ScoringModelSchema)
@blp.alt_response(409, description="A version of this name exists")
def create_scoring_model(body):
    record = versions.create_edited(unit_of_work.session(), current_workspace_id(), body, g.principal.key_id)
    return record, 201, {"Location": f"/v1/scoring-models/{record.id}"}


@blp.route("/scoring-models/imports", methods=["POST"], operation_id="importScoringModel",
           summary="Import a version document (multipart: document, and a boosted model's skops artefact)")
@requires("score")
@blp.doc(requestBody={"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["document"],
    "properties": {"document": {"type": "string", "format": "binary",
                                "description": "The JSON of GET /v1/scoring-models/{id}/document"},
                   "artefact": {"type": "string", "format": "binary",
                                "description": f"A boosted model's skops file "
                                               f"(at most {MAX_ARTEFACT_BYTES} bytes)"}}}}}})
@blp.response(201, ScoringModelSchema)
@blp.alt_response(409, description="A version of this name exists")
@blp.alt_response(415, description="Not multipart/form-data")
@blp.alt_response(422, description="The document or artefact is invalid (each problem under its field)")
def import_scoring_model():
    if request.mimetype != "multipart/form-data":
        abort(415, message="Send the document (and artefact) as multipart/form-data.")
    document_file = request.files.get("document")
    raw = document_file.read() if document_file is not None else request.form.get("document", "").encode()
    if not raw:
        abort(422, message="The document is missing.", errors={"form": {"document": ["required"]}})
    try:
        document = json.loads(raw)
    except (ValueError, RecursionError):
        abort(422, message="The document is not JSON.", errors={"form": {"document": ["not valid JSON"]}})
    artefact_file = request.files.get("artefact")
    artefact = None
    if artefact_file is not None:
        artefact = artefact_file.read(MAX_ARTEFACT_BYTES + 1)
        if len(artefact) > MAX_ARTEFACT_BYTES:
            abort(422, message=f"The artefact is over the limit of {MAX_ARTEFACT_BYTES} bytes.",
                  errors={"form": {"artefact": ["too large"]}})
    record = versions.import_document(unit_of_work.session(), current_workspace_id(), document, artefact,
                                      g.principal.key_id)
    return record, 201, {"Location": f"/v1/scoring-models/{record.id}"}


@blp.route("/scoring-models/active", methods=["GET"], operation_id="getActiveScoringModel",
           summary="The active version; its ETag is what activating another version needs in If-Match")
@blp.etag
@requires("read")
@blp.response(200, ScoringModelSchema)
def get_active_scoring_model():
    record = versions.active_version(unit_of_work.session(), current_workspace_id())
    blp.set_etag(versions.activation_tag(record))
    return record


@blp.route("/scoring-models/active", methods=["PUT"], operation_id="activateScoringModel",
           summary="Activate a version (or roll back to an earlier one) and re-score (If-Match required)")
@blp.etag
@requires("score")
@blp.arguments(ActivationSchema)
@blp.response(202, ActivationResultSchema, description="Activated; the re-scoring run is at Location")
@blp.alt_response(409, description="The version's stored artefact failed its checks")
@blp.alt_response(404, description="No such scoring model in this workspace")
def activate_scoring_model(body):
    if g.principal.role not in ACTIVATING_ROLES:
        abort(403, message=f"The '{g.principal.role}' role cannot activate scoring models (analyst or admin).")
    session, workspace_id = unit_of_work.session(), current_workspace_id()
    record = _version(body["model_id"], "model_id")
    current = versions.active_version(session, workspace_id)
    blp.check_etag(versions.activation_tag(current))
    activation = versions.activate(session, workspace_id, record, g.principal.key_id,
                                   expected=versions.activation_tag(current))
    _dispatch_after_commit(activation.job_id)
    blp.set_etag(versions.activation_tag(record))
    return ({"model": record, "scoring_run_id": activation.run_id, "job_id": activation.job_id}, 202,
            {"Location": f"/v1/scoring-runs/{activation.run_id}"})


@blp.route("/scoring-models/<id:scoring_model_id>/diff", methods=["GET"], operation_id="diffScoringModels",
           summary="What changed from another version to this one, number by number")
@requires("read")
@blp.arguments(DiffArgs, location="query", as_kwargs=True)
@blp.response(200, DiffSchema)
def diff_scoring_models(scoring_model_id, against=None):
    left = _version(scoring_model_id)
    right = (_version(against) if against is not None
             else versions.active_version(unit_of_work.session(), current_workspace_id()))
    return {"model_id": left.id, "against": right.id,
            "changes": versions.diff(unit_of_work.session(), left, right)}


@blp.route("/scoring-models/<id:scoring_model_id>/document", methods=["GET"], operation_id="getScoringModelDocument",
           summary="The version's document (numbers, classifier, training report): import it elsewhere as is")
@requires("read")
@blp.doc(responses={"200": {"description": "The version document (JSON)", "content": {"application/json": {
    "schema": {"type": "object", "additionalProperties": True,
               "description": "The version's numbers (weights, thresholds, reach_rates, flag_penalties), its "
                              "classifier and training report; the body POST /v1/scoring-models/imports takes"}}}}})
def get_scoring_model_document(scoring_model_id):
    session = unit_of_work.session()
    record = _version(scoring_model_id)
    out = versions.document(session, record)
    classifier = versions.classifier_of(session, record.id)
    if classifier is not None and classifier.training:
        out["training"] = classifier.training
    return out


@blp.route("/scoring-models/<id:scoring_model_id>/artefact", methods=["GET"], operation_id="getScoringModelArtefact",
           summary="A boosted version's skops artefact (its sha256 is in the document)")
@requires("read")
@blp.doc(responses={"200": {"description": "The skops file", "content": {
    "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}})
def get_scoring_model_artefact(scoring_model_id):
    record = _version(scoring_model_id)
    classifier = versions.classifier_with_artefact(unit_of_work.session(), record)
    return Response(classifier.artefact, mimetype="application/octet-stream", headers={
        "Content-Disposition": f'attachment; filename="{record.version}.skops"',
        "X-Artefact-SHA256": classifier.artefact_sha256})


@blp.route("/scoring-models/trainings", methods=["POST"], operation_id="trainScoringModel",
           summary="Train a version on the workspace's labels and compare it with the active one (background)")
@requires("score")
@blp.arguments(TrainingRequestSchema)
@blp.response(202, JobStartedSchema, description="Queued; poll the job at Location")
@blp.alt_response(422, description=NOT_ENOUGH_LABELS)
def train_scoring_model(body):
    session, workspace_id = unit_of_work.session(), current_workspace_id()
    check_trainable(session, workspace_id)
    job_id = runner.enqueue(session, workspace_id, "train", {**body, "key_id": g.principal.key_id})
    _dispatch_after_commit(job_id)
    return {"job_id": job_id, "status": "queued"}, 202, {"Location": f"/v1/jobs/{job_id}"}


@blp.route("/scoring-model-comparisons", methods=["POST"], operation_id="compareScoringModels",
           summary="Compare a candidate version with the active one (or a baseline) on the same folds (background)")
@requires("score")
@blp.arguments(ComparisonRequestSchema)
@blp.response(202, ComparisonSchema, description="Queued; poll the comparison at Location")
@blp.alt_response(404, description="No such scoring model in this workspace")
@blp.alt_response(422, description=NOT_ENOUGH_LABELS)
def compare_scoring_models(body):
    session, workspace_id = unit_of_work.session(), current_workspace_id()
    candidate = _version(body["candidate_id"], "candidate_id")
    baseline = (_version(body["baseline_id"], "baseline_id") if body.get("baseline_id")
                else versions.active_version(session, workspace_id))
    row = queue_comparison(session, workspace_id, candidate, baseline)
    _dispatch_after_commit(row.job_id)
    return row, 202, {"Location": f"/v1/scoring-model-comparisons/{row.id}"}


def _comparison(comparison_id: int) -> ModelComparison:
    return comparison.get_comparison(unit_of_work.session(), current_workspace_id(), comparison_id)


def _comparison_view(row: ModelComparison) -> Extended:
    return Extended(row, result=None if row.result is None else comparison.summary(row.result))


@blp.route("/scoring-model-comparisons/<id:comparison_id>", methods=["GET"], operation_id="getScoringModelComparison",
           summary="A comparison's status and metrics")
@requires("read")
@blp.response(200, ComparisonSchema)
def get_scoring_model_comparison(comparison_id):
    return _comparison_view(_comparison(comparison_id))


def _plot_view(name: str):
    """The view of one comparison picture (one route per picture: path parameters are ids)."""

    @blp.route(f"/scoring-model-comparisons/<id:comparison_id>/plots/{name}.png", methods=["GET"],
               operation_id=f"getScoringModelComparison{name.title()}Plot", endpoint=f"comparison_{name}_plot",
               summary=f"The comparison's {comparison.PLOT_TITLES[name]} (PNG)")
    @requires("read")
    @blp.doc(responses={"200": {"description": "The picture", "content": {
        "image/png": {"schema": {"type": "string", "format": "binary"}}}}})
    @blp.alt_response(409, description="The comparison has not succeeded (yet)")
    def view(comparison_id):
        return Response(comparison.comparison_plot(_comparison(comparison_id), name), mimetype="image/png")

    return view


for _name in comparison.PLOTS:
    _plot_view(_name)


@blp.route("/scoring-model-comparisons", methods=["GET"], operation_id="listScoringModelComparisons",
           summary="The workspace's comparisons, newest first")
@requires("read")
@blp.response(200, ComparisonSchema(many=True))
@blp.paginate(SQLPage)
def list_scoring_model_comparisons():
    return Listing(unit_of_work.session(), comparison.comparisons_select(current_workspace_id()))
