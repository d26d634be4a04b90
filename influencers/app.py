"""The application factory."""
from __future__ import annotations

import dataclasses
import logging

import marshmallow as ma
import swagger_ui_bundle
from flask import Flask, request, send_from_directory

from influencers import gunicorn_errors
from influencers.api import auth, contract, rate_limits, unit_of_work
from influencers.api.base import Api
from influencers.api.converters import ID_SCHEMA, IdConverter
from influencers.api.errors import register_error_handlers
from influencers.api.json_provider import MsgspecJSONProvider
from influencers.assembly import assemble
from influencers.config import Settings, load_settings
from influencers.db import Database
from influencers.workspaces.key_cache import KeyCache

DOCS_ASSETS_URL = "/docs/assets/"


def _blueprints():
    from influencers.api.brands.routes import blp as brands
    from influencers.api.campaigns.routes import blueprints as campaign_blueprints
    from influencers.api.creators.routes import blp as creators
    from influencers.api.graph.routes import blp as graph
    from influencers.api.imports.routes import blp as imports
    from influencers.api.labels.routes import blp as labels
    from influencers.api.meta.routes import blp as meta
    from influencers.api.privacy.routes import blp as privacy
    from influencers.api.scoring.routes import blp as scoring
    from influencers.api.scoring_models.routes import blp as scoring_models
    from influencers.api.shortlists.routes import blp as shortlists
    from influencers.api.webhooks.routes import blp as webhooks
    from influencers.api.workspace.routes import blp as workspace

    return [meta, workspace, creators, imports, scoring, *campaign_blueprints(), shortlists, graph, webhooks, brands,
            privacy,
            labels, scoring_models]


def create_app(settings: Settings | None = None, database: Database | None = None) -> Flask:
    settings = settings or load_settings()
    assemble()
    app = Flask(__name__)
    app.json = MsgspecJSONProvider(app)
    app.config.update(
        API_TITLE="influencers",
        API_VERSION="1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="/docs",
        # Served from the swagger-ui-bundle package: the docs work without internet.
        OPENAPI_SWAGGER_UI_URL=DOCS_ASSETS_URL,
        MAX_CONTENT_LENGTH=settings.max_json_bytes,
        API_SPEC_OPTIONS={
            "info": {
                "description": (
                    "Influencer discovery, scoring and campaign management. Authenticate with "
                    "`Authorization: Bearer <key>`. Lists are paginated with `page` and `page_size`; "
                    "the `X-Pagination` header carries totals. Updates need `If-Match` with the "
                    "resource's ETag; creating requests accept `Idempotency-Key`."
                ),
                "license": {"name": "Apache-2.0"},
            },
            "security": [{auth.SECURITY_SCHEME_NAME: []}],
        },
        PAGINATION_PAGE_SIZE=settings.default_page_size,
        PAGINATION_MAX_PAGE_SIZE=settings.max_page_size,
    )
    app.url_map.converters["id"] = IdConverter
    logging.basicConfig(level=logging.INFO)

    _bind(app, settings, database or Database(settings.database_url))

    api = Api(app, spec_kwargs={"extra_plugins": [contract.ExamplesPlugin(contract.load_examples())]})
    api.ma_plugin.converter.add_attribute_function(contract.contract_attributes)
    api.register_field(ma.fields.Url, "string", "uri")
    app.extensions["influencers.api"] = api
    api.register_converter(IdConverter, lambda _converter: dict(ID_SCHEMA))
    api.spec.components.security_scheme(auth.SECURITY_SCHEME_NAME, auth.SECURITY_SCHEME)
    public_endpoints = set()
    for blueprint in _blueprints():
        api.register_blueprint(blueprint)
        public_endpoints |= {f"{blueprint.name}.{name}" for name in blueprint.public_views}

    @app.route(DOCS_ASSETS_URL + "<path:filename>")
    def docs_assets(filename):
        return send_from_directory(swagger_ui_bundle.swagger_ui_path, filename)

    contract.document_shared_parameters(api.spec)
    public_endpoints |= {"docs_assets", "api-docs.openapi_json", "api-docs.openapi_swagger_ui", "static"}

    failed_auth = rate_limits.install(app, settings, public_endpoints)

    @app.before_request
    def _authenticate():
        if request.endpoint is None or request.endpoint in public_endpoints:
            return
        rate_limits.check_failed_auth(failed_auth, auth.authenticate_request)

    @app.before_request
    def _body_limit():
        if request.endpoint in BULK_ENDPOINTS:
            request.max_content_length = app.extensions["influencers.settings"].max_import_bytes

    gunicorn_errors.install()
    app.teardown_appcontext(unit_of_work.close_session)
    register_error_handlers(app)
    return app


def _bind(app: Flask, settings: Settings, database: Database) -> None:
    database.settings = settings  # jobs dispatched after a commit (webhook deliveries) run with them
    app.extensions["influencers.settings"] = settings
    app.extensions["influencers.db"] = database
    app.extensions["influencers.key_cache"] = KeyCache(database)


# What may differ between the settings an app was built with and those it is rebound to.
REBINDABLE_SETTINGS = ("database_url", "upload_dir")


def rebind(app: Flask, settings: Settings, database: Database) -> None:
    """Points an app made by :func:`create_app` at another database, as a new app would find it:
    an empty key cache and no rate-limit counts.

    For tests, which need a database each but not an application each: building one costs
    far more (mostly its OpenAPI document) than the requests most tests make. Only the
    ``REBINDABLE_SETTINGS`` may differ from those the app was built with.
    """
    built = app.extensions["influencers.settings"]
    same_elsewhere = dataclasses.replace(settings, **{name: getattr(built, name) for name in REBINDABLE_SETTINGS})
    if same_elsewhere != built:
        raise ValueError(f"only {', '.join(REBINDABLE_SETTINGS)} may change when an app is rebound")
    for limiter in app.extensions.get("limiter", ()):
        limiter.reset()
    _bind(app, settings, database)


# Endpoints whose bodies are bulk data (NDJSON imports) get the larger limit.
BULK_ENDPOINTS = {"imports.create_import"}
