"""The caller's workspace and its API keys."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from influencers.api.schemas import BodySchema, one_of
from influencers.workspaces.models import ROLES


class WorkspaceSchema(ma.Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    created_at = fields.DateTime(required=True)


class ApiKeySchema(ma.Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    role = fields.String(required=True, validate=one_of(ROLES))
    prefix = fields.String(required=True, metadata={"description": "The key's public part, to recognise it"})
    created_at = fields.DateTime(required=True)
    revoked_at = fields.DateTime(allow_none=True, required=True)


class CreatedApiKeySchema(ApiKeySchema):
    key = fields.String(
        required=True, allow_none=True, attribute="plaintext_key",
        metadata={"description": (
            "The full key. Shown once: only its hash is stored. An Idempotency-Key replay "
            "(`Idempotent-Replayed: true`) answers null here: the secret is never kept for replays. "
            "If the first answer was lost, revoke the key and create another."
        )},
    )


class ApiKeyCreateSchema(BodySchema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    role = fields.String(required=True, validate=one_of(ROLES))
