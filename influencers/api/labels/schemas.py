"""Labels (analysts' verdicts) and the calibration audit trail."""
from __future__ import annotations

from marshmallow import fields, validate

from influencers.api.contract import FreeForm
from influencers.api.converters import MAX_ID
from influencers.api.schemas import BodySchema, Pattern, QuerySchema, ResponseSchema, one_of
from influencers.calibration.models import LABEL_VALUES

KIND = Pattern(r"^[a-z][a-z0-9_]{0,49}$", error="a kind is lower-case letters, digits and '_', up to 50")


class LabelCreateSchema(BodySchema):
    creator_id = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=MAX_ID))
    label = fields.String(required=True, validate=one_of(LABEL_VALUES),
                          metadata={"description": "`fraud` (audience or engagement inflated) or `clean` (checked, "
                                                   "genuine)"})
    kinds = fields.List(fields.String(validate=KIND), validate=validate.Length(max=20), load_default=list,
                        metadata={"description": "For `fraud` only (a `clean` label has none): what was found, "
                                                 "e.g. bought_followers, comment_pod"})
    source = fields.String(allow_none=True, validate=validate.Length(min=1, max=100),
                           metadata={"description": "How the verdict was reached, e.g. manual_review"})
    labelled_at = fields.Date(allow_none=True, metadata={"description": "When the verdict was reached (default today)"})
    note = fields.String(allow_none=True, validate=validate.Length(max=10000))


class LabelListArgs(QuerySchema):
    label = fields.String(validate=one_of(LABEL_VALUES))
    kind = fields.String(validate=KIND)
    source = fields.String(validate=validate.Length(min=1, max=100))
    creator_id = fields.Integer(validate=validate.Range(min=1, max=MAX_ID))
    labelled_after = fields.Date(metadata={"description": "labelled on or after this date"})
    labelled_before = fields.Date(metadata={"description": "labelled before this date"})


class LabelledCreatorSchema(ResponseSchema):
    id = fields.Integer(required=True)
    platform = fields.String(required=True)
    handle = fields.String(required=True)


class LabelSchema(ResponseSchema):
    id = fields.Integer(required=True)
    creator_id = fields.Integer(required=True)
    label = fields.String(required=True)
    kinds = fields.List(fields.String(), required=True)
    source = fields.String(allow_none=True)
    labelled_at = fields.Date(required=True)
    note = fields.String(allow_none=True)
    is_current = fields.Boolean(required=True, metadata={"description": "The creator's verdict in force (newest)"})
    created_at = fields.DateTime(required=True)
    key_id = fields.Integer(allow_none=True, metadata={"description": "The API key that created it (none: imported)"})


class LabelWithCreatorSchema(LabelSchema):
    creator = fields.Nested(LabelledCreatorSchema, required=True)


class CalibrationEventArgs(QuerySchema):
    object_type = fields.String(validate=one_of(("label", "scoring_model")))
    object_id = fields.Integer(validate=validate.Range(min=1, max=MAX_ID))


class CalibrationEventSchema(ResponseSchema):
    id = fields.Integer(required=True)
    object_type = fields.String(required=True)
    object_id = fields.Integer(required=True)
    action = fields.String(required=True)
    detail = FreeForm(required=True, metadata={
        "description": "What the action recorded; its keys depend on the action, e.g. a label's creator_id, label "
                       "and kinds, or a scoring model's version and the version it replaced"})
    key_id = fields.Integer(allow_none=True)
    at = fields.DateTime(required=True)
