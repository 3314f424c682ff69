"""The warehouse's HTTP API: answers from model_production, read-only."""

from apiflask import APIFlask

from api_endpoint import db, docs, errors, health, home, http_cache, negotiation, quality, sample
from api_endpoint.errors import ERROR_SCHEMA
from warehouse import config, registry
from warehouse.domain import import_string


def create_app(test_config: dict | None = None) -> APIFlask:
    """Create and configure the API application: the platform's blueprints, then one per registered domain."""
    app = APIFlask(
        __name__,
        title="Warehouse API",
        version="1.0.0",
        spec_path="/openapi.json",
        docs_path="/docs",
    )
    domains = registry.domains()
    app.config.from_mapping(
        DATABASE_URL=None,
        DATABASE_POOL_SIZE=config.API_THREADS.value(),
        # Werkzeug refuses a body over this before reading it, from its Content-Length or as it streams in.
        MAX_CONTENT_LENGTH=config.API_MAX_BODY_BYTES.value(),
        RECHECK_SECONDS=config.API_RECHECK_SECONDS.value(),
        INFO={
            "description": "Answers questions from the warehouse's production tables: "
            + "; ".join(domain.description for domain in domains)
            + "."
        },
        SYNC_LOCAL_SPEC=False,
        HTTP_ERROR_SCHEMA=ERROR_SCHEMA,
        VALIDATION_ERROR_SCHEMA=ERROR_SCHEMA,
    )
    if test_config:
        app.config.update(test_config)
    if not app.config["DATABASE_URL"]:
        app.config["DATABASE_URL"] = config.api_database_url()

    app.json.sort_keys = False
    db.init_app(app)
    docs.init_app(app)
    errors.init_app(app)
    negotiation.init_app(app)
    http_cache.init_app(app)
    sample.init_app(app)
    app.register_blueprint(health.bp)
    app.register_blueprint(home.bp)
    app.register_blueprint(quality.bp)
    for domain in domains:
        if domain.blueprint:
            app.register_blueprint(import_string(domain.blueprint))
    # Every page's menu links each domain's pages, in registry order.
    pages = [page for domain in domains for page in domain.pages]
    app.context_processor(lambda: {"pages": pages})
    return app
