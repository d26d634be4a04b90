"""Renders the OpenAPI document exactly as committed in ``openapi/openapi.json``."""
from __future__ import annotations

import json

from influencers.config import Settings


def render_openapi() -> str:
    from influencers.app import create_app

    # No database is touched: the spec comes from the routes and schemas alone.
    app = create_app(Settings(database_url="sqlite://", pseudonym_secret=b"unused"))
    spec = app.extensions["influencers.api"].spec.to_dict()
    return json.dumps(spec, indent=2, sort_keys=True) + "\n"
