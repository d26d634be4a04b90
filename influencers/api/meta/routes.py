"""Unauthenticated service endpoints: health."""
from __future__ import annotations

import marshmallow as ma

from influencers import __version__
from influencers.api import unit_of_work
from influencers.api.base import Blueprint
from influencers.db import check_connection

blp = Blueprint("meta", __name__, url_prefix="", description="Service health")


class HealthSchema(ma.Schema):
    status = ma.fields.String(required=True)
    database = ma.fields.String(required=True)
    version = ma.fields.String(required=True)


@blp.route("/health", methods=["GET"], operation_id="getHealth", summary="Liveness and database check", public=True)
@blp.response(200, HealthSchema)
def health():
    check_connection(unit_of_work.session())
    return {"status": "ok", "database": unit_of_work.database().engine.dialect.name, "version": __version__}
