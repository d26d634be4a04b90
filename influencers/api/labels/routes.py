"""HTTP routes for labels (viewer-readable, analyst-writable, audited) and the calibration audit trail."""
from __future__ import annotations

from flask import g

from influencers.api import unit_of_work
from influencers.api.auth import current_workspace_id, requires
from influencers.api.base import Blueprint, Listing, SQLPage
from influencers.api.labels.schemas import (
    CalibrationEventArgs,
    CalibrationEventSchema,
    LabelCreateSchema,
    LabelListArgs,
    LabelSchema,
    LabelWithCreatorSchema,
)
from influencers.calibration import audit, labels
from influencers.creators import service as creators

blp = Blueprint("labels", __name__, url_prefix="/v1", description="Analysts' verdicts on creators (labels)")


class LabelPage(SQLPage):
    """Rows of (label, creator) as labels with their creator attached."""

    @property
    def items(self):
        out = []
        for label, creator in self.rows():
            label.creator = creator
            out.append(label)
        return out


@blp.route("/labels", methods=["GET"], operation_id="listLabels",
           summary="List the current labels (one per labelled creator), newest first")
@requires("read")
@blp.arguments(LabelListArgs, location="query", as_kwargs=True)
@blp.response(200, LabelWithCreatorSchema(many=True))
@blp.paginate(LabelPage)
def list_labels(**filters):
    return Listing(unit_of_work.session(), labels.labels_select(current_workspace_id(), labels.LabelFilters(**filters)))


@blp.route("/labels", methods=["POST"], operation_id="createLabel",
           summary="Record a verdict on a creator (it becomes the creator's current label)")
@requires("score")
@blp.arguments(LabelCreateSchema)
@blp.response(201, LabelSchema)
@blp.alt_response(404, description="No such creator in this workspace")
def create_label(body):
    label = labels.create_label(unit_of_work.session(), current_workspace_id(), body.pop("creator_id"), body,
                                g.principal.key_id)
    return label, 201, {"Location": f"/v1/labels/{label.id}"}


@blp.route("/labels/<id:label_id>", methods=["GET"], operation_id="getLabel", summary="Read a label")
@requires("read")
@blp.response(200, LabelSchema)
def get_label(label_id):
    return labels.get_label(unit_of_work.session(), current_workspace_id(), label_id)


@blp.route("/labels/<id:label_id>", methods=["DELETE"], operation_id="deleteLabel",
           summary="Delete a verdict (the creator's previous verdict, if any, becomes current)")
@requires("score")
@blp.response(204)
def delete_label(label_id):
    session, workspace_id = unit_of_work.session(), current_workspace_id()
    labels.delete_label(session, workspace_id, labels.get_label(session, workspace_id, label_id), g.principal.key_id)


@blp.route("/creators/<id:creator_id>/labels", methods=["GET"], operation_id="listCreatorLabels",
           summary="A creator's label history, newest first")
@requires("read")
@blp.response(200, LabelSchema(many=True))
@blp.paginate(SQLPage)
def list_creator_labels(creator_id):
    creators.get_creator(unit_of_work.session(), current_workspace_id(), creator_id, field="creator_id")
    return Listing(unit_of_work.session(), labels.history_select(current_workspace_id(), creator_id))


@blp.route("/calibration-events", methods=["GET"], operation_id="listCalibrationEvents",
           summary="The audit trail of labels and scoring model versions, oldest first")
@requires("read")
@blp.arguments(CalibrationEventArgs, location="query", as_kwargs=True)
@blp.response(200, CalibrationEventSchema(many=True))
@blp.paginate(SQLPage)
def list_calibration_events(**filters):
    return Listing(unit_of_work.session(), audit.events_select(current_workspace_id(), **filters))
