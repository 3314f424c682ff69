"""The warehouse's HTTP API: answers from model_production, read-only."""

import os

from apiflask import APIFlask

from api_endpoint import db, errors, health, kpis, vouchers
from api_endpoint.errors import ERROR_SCHEMA


def create_app(test_config: dict | None = None) -> APIFlask:
    """Create and configure the API application."""
    app = APIFlask(
        __name__,
        title="Warehouse API",
        version="1.0.0",
        spec_path="/openapi.json",
        docs_path="/docs",
    )
    app.config.from_mapping(
        DATABASE_URL=os.environ.get("API_WAREHOUSE_URL"),
        DATABASE_POOL_SIZE=int(os.environ.get("API_THREADS", "4")),
        INFO={
            "description": (
                "Answers questions from the warehouse's production tables: which voucher amount to offer a "
                "customer and the segments behind that answer, and the network's top services and cells."
            )
        },
        SYNC_LOCAL_SPEC=False,
        HTTP_ERROR_SCHEMA=ERROR_SCHEMA,
        VALIDATION_ERROR_SCHEMA=ERROR_SCHEMA,
    )
    if test_config:
        app.config.update(test_config)
    if not app.config["DATABASE_URL"]:
        from warehouse.config import api_database_url

        app.config["DATABASE_URL"] = api_database_url()

    app.json.sort_keys = False
    db.init_app(app)
    errors.init_app(app)
    app.register_blueprint(health.bp)
    app.register_blueprint(vouchers.bp)
    app.register_blueprint(kpis.bp)
    return app
