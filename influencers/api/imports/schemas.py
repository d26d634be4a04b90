"""Import reports."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import fields


class RejectedLineSchema(ma.Schema):
    line = fields.Integer(required=True, metadata={"description": "1-based line number in the body"})
    reason = fields.String(required=True)


class ImportReportSchema(ma.Schema):
    lines_read = fields.Integer(required=True)
    stored = fields.Dict(
        keys=fields.String(),
        values=fields.Dict(keys=fields.String(), values=fields.Integer()),
        required=True,
        metadata={"description": "Per record type: how many were inserted, updated or unchanged"},
    )
    rejected_count = fields.Integer(required=True)
    rejected = fields.List(
        fields.Nested(RejectedLineSchema), required=True,
        metadata={"description": "Each rejected line with its reason (the first 1,000)"},
    )
    started_at = fields.DateTime(required=True)
    finished_at = fields.DateTime(required=True)
