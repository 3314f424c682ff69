"""Own the API's database connections: one pool per app, one connection per request."""

from flask import Flask, current_app, g
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, Engine

ENGINE_KEY = "warehouse_engine"


def _driver_url(url: str) -> str:
    # The API runs on psycopg 3, whatever driver the configured URL names.
    scheme, rest = url.split("://", 1)
    return f"postgresql+psycopg://{rest}" if scheme.startswith("postgres") else url


def init_app(app: Flask) -> None:
    app.extensions[ENGINE_KEY] = create_engine(
        _driver_url(app.config["DATABASE_URL"]),
        pool_size=app.config["DATABASE_POOL_SIZE"],
        max_overflow=app.config["DATABASE_POOL_SIZE"],
        pool_pre_ping=True,
        pool_recycle=300,
        # A gevent worker holds many more requests than connections: one that waits this long is answered 503.
        pool_timeout=5,
        connect_args={"connect_timeout": 5, "application_name": "warehouse-api"},
    )
    app.teardown_appcontext(close_db)


def engine() -> Engine:
    return current_app.extensions[ENGINE_KEY]


def get_db() -> Connection:
    """Return this request's connection, opening it on first use."""
    if "db" not in g:
        g.db = engine().connect()
    return g.db


def close_db(exception: BaseException | None = None) -> None:
    connection = g.pop("db", None)
    if connection is not None:
        connection.rollback()
        connection.close()


def fetch_all(query: str, **parameters) -> list[dict]:
    """Run a read-only query with bound parameters and return its rows as dicts."""
    result = get_db().execute(text(query), parameters)
    return [dict(row) for row in result.mappings()]


def fetch_one(query: str, **parameters) -> dict | None:
    rows = fetch_all(query, **parameters)
    return rows[0] if rows else None
