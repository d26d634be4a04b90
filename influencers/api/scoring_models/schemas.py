"""Scoring model versions: editing, activation, diffs, training, import/export, comparisons."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from influencers.api.contract import FreeForm
from influencers.api.converters import MAX_ID
from influencers.api.schemas import BodySchema, QuerySchema, RejectsUnstorableText, ResponseSchema, one_of
from influencers.api.scoring.schemas import ScoringModelSchema
from influencers.calibration.documents import VERSION_NAME, threshold_range
from influencers.creators.models import PLATFORMS
from influencers.scoring.model import COMPONENTS, DEFAULT_THRESHOLDS, FLAGS

NUMBERS = fields.Dict(keys=fields.String(), values=fields.Raw())


def _numbers_by_name(names, bounds) -> dict:
    """The OpenAPI shape of a document group: the names the calibration service knows, each a number
    in its range (the service answers 422 for any other name or value)."""
    properties = {}
    for name in names:
        low, high = bounds(name)
        properties[name] = {"type": "number", "minimum": low, "maximum": high}
    return {"type": "object", "properties": properties, "additionalProperties": False}


class ScoringModelEditSchema(RejectsUnstorableText):
    """Checked by the calibration service, which names each bad field (unknown ones too)."""

    class Meta:
        unknown = ma.INCLUDE

    # The calibration service checks these; the schema states the same rules for clients.
    version = fields.Raw(metadata={"description": "Name of the new version (default edited-N): 1-100 letters, "
                                                  "digits, '.', '_' or '-', starting with a letter or digit",
                                   "type": "string", "pattern": VERSION_NAME.pattern, "maxLength": 100})
    description = fields.Raw(metadata={"type": "string", "maxLength": 2000})
    weights = FreeForm(json_schema=_numbers_by_name(COMPONENTS, lambda name: (0.0, 1.0)),
                       metadata={"description": "Component weights: non-negative, summing to 1, by name"})
    thresholds = FreeForm(json_schema=_numbers_by_name(tuple(DEFAULT_THRESHOLDS), threshold_range),
                          metadata={"description": "Thresholds to change, by name"})
    reach_rates = FreeForm(json_schema=_numbers_by_name(PLATFORMS, lambda name: (0.0, 1.0)),
                           metadata={"description": "Organic reach rates per platform, 0-1, by name"})
    flag_penalties = FreeForm(json_schema=_numbers_by_name(FLAGS, lambda name: (0.0, 1.0)),
                              metadata={"description": "Flag penalties, 0-1, by name"})


class ActivationSchema(BodySchema):
    model_id = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=MAX_ID),
                              metadata={"description": "The version to activate (an earlier one rolls back)"})


class ActivationResultSchema(ResponseSchema):
    model = fields.Nested(ScoringModelSchema, required=True)
    scoring_run_id = fields.Integer(required=True)
    job_id = fields.Integer(required=True)


class DiffArgs(QuerySchema):
    against = fields.Integer(validate=validate.Range(min=1, max=MAX_ID),
                             metadata={"description": "The version compared with (the 'from' side; default the active "
                                                      "one)"})


# A diff compares flattened documents: each leaf is a number, a string, a flag or a list of those.
SCALAR = [{"type": "number"}, {"type": "string"}, {"type": "boolean"}]
CHANGED_VALUE = {"anyOf": [*SCALAR, {"type": "array", "items": {"anyOf": SCALAR}}]}


class ChangeSchema(ResponseSchema):
    path = fields.String(required=True)
    from_ = FreeForm(data_key="from", attribute="from", allow_none=True, required=True, json_schema=CHANGED_VALUE,
                     metadata={"description": "The value in the 'against' version (null: absent there)"})
    to = FreeForm(allow_none=True, required=True, json_schema=CHANGED_VALUE,
                  metadata={"description": "The value in this version (null: absent here)"})


class DiffSchema(ResponseSchema):
    model_id = fields.Integer(required=True)
    against = fields.Integer(required=True)
    changes = fields.List(fields.Nested(ChangeSchema), required=True)


class TrainingRequestSchema(BodySchema):
    kind = fields.String(load_default="auto", validate=one_of(("auto", "logistic", "boosted")),
                         metadata={"description": "auto: the better by cross-validated ROC AUC"})
    description = fields.String(allow_none=True, validate=validate.Length(max=2000))


class JobStartedSchema(ResponseSchema):
    job_id = fields.Integer(required=True)
    status = fields.String(required=True)


class ComparisonRequestSchema(BodySchema):
    candidate_id = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=MAX_ID))
    baseline_id = fields.Integer(strict=True, validate=validate.Range(min=1, max=MAX_ID),
                                 metadata={"description": "Default: the active version"})


class ComparisonSchema(ResponseSchema):
    id = fields.Integer(required=True)
    candidate_id = fields.Integer(required=True)
    baseline_id = fields.Integer(required=True)
    job_id = fields.Integer(allow_none=True)
    status = fields.String(required=True)
    error = fields.String(allow_none=True)
    created_at = fields.DateTime(required=True)
    result = FreeForm(allow_none=True, metadata={
        "description": "Both versions' metrics on the same folds (ROC AUC, PR AUC, Brier, flag precision and "
                       "recall, precision at k, permutation importance); pictures at .../plots/{name}.png"})


class ImportFormSchema(ma.Schema):
    """multipart/form-data: ``document`` (the JSON of GET .../document) and ``artefact``
    (a boosted model's skops file)."""

    document = fields.Raw(required=True, metadata={"type": "string", "format": "binary"})
    artefact = fields.Raw(metadata={"type": "string", "format": "binary"})
