"""Turn every error into JSON `{code, message, details}` with the right status."""

import logging

from apiflask import APIFlask, HTTPError
from sqlalchemy.exc import DBAPIError, OperationalError, ProgrammingError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import RequestEntityTooLarge

log = logging.getLogger(__name__)


class ApiError(HTTPError):
    """An error a view raises on purpose: a status, a machine-readable code, a message and details."""

    def __init__(self, status_code: int, code: str, message: str, details: dict | None = None) -> None:
        super().__init__(status_code, message=message, detail=details or {}, extra_data={"code": code})


ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "code": {"type": "string", "description": "Machine-readable error code."},
        "message": {"type": "string", "description": "What went wrong, naming each bad field."},
        "details": {"type": "object", "description": "Per-field messages and other context."},
    },
    "required": ["code", "message", "details"],
}

CODES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_values",
    500: "internal_error",
    503: "unavailable",
}


def _field_message(detail: dict) -> str:
    fields = sorted({field for location in detail.values() if isinstance(location, dict) for field in location})
    return "invalid value for " + ", ".join(fields) if fields else "invalid request"


# What PostgreSQL says when it refuses a login (libpq gives no SQLSTATE for a failed connection).
LOGIN_REFUSED = ("password authentication failed", "no pg_hba.conf entry", "does not exist", "authentication failed")


def unavailable(error: Exception) -> ApiError:
    """The 503 for a database the API cannot use: refused login (a configuration error, logged as such) or down."""
    text = str(getattr(error, "orig", None) or error)
    if "connection failed" in text and any(reason in text for reason in LOGIN_REFUSED):
        log.error("the warehouse refused the API's login: %s", text)
        return ApiError(
            503,
            "database_login_refused",
            "the warehouse database refused the API's login: check API_WAREHOUSE_URL or WAREHOUSE_READER_PASSWORD",
        )
    log.warning("database unavailable: %s", error)
    return ApiError(503, "database_unavailable", "the warehouse database is not reachable")


def init_app(app: APIFlask) -> None:
    @app.error_processor
    def as_json(error: HTTPError):
        code = error.extra_data.get("code") or CODES.get(error.status_code, "error")
        message = error.message
        details = error.detail or {}
        if error.status_code == 422 and "code" not in error.extra_data:
            # A schema validation error: name every field and say what is wrong with it. A malformed query
            # string parameter is a bad request (400); an invalid value in a JSON body is a 422.
            details = {
                "fields": {field: messages for location in details.values() for field, messages in location.items()}
            }
            message = _field_message(error.detail)
            if "query" in error.detail:
                return (
                    {"code": "bad_parameter", "message": message.replace("value", "parameter"), "details": details},
                    400,
                    error.headers,
                )
        return {"code": code, "message": message, "details": details}, error.status_code, error.headers

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(error: RequestEntityTooLarge):
        limit = app.config["MAX_CONTENT_LENGTH"]
        message = f"the body is larger than the {limit:,} bytes the API reads (API_MAX_BODY_BYTES)"
        return as_json(ApiError(413, "payload_too_large", message, {"limit_bytes": limit}))

    @app.errorhandler(ProgrammingError)
    def not_published(error: ProgrammingError):
        if getattr(error.orig, "sqlstate", None) == "42P01":
            return as_json(ApiError(503, "not_published", "nothing has been published yet: run the DAG that builds it"))
        return unexpected(error)

    @app.errorhandler(OperationalError)
    def database_unavailable(error: OperationalError):
        return as_json(unavailable(error))

    @app.errorhandler(PoolTimeout)
    def busy(error: PoolTimeout):
        # Every connection of this worker's pool stayed busy: more requests than the database sessions can serve.
        log.warning("no database connection free: %s", error)
        return as_json(ApiError(503, "busy", "the API is busy: every database connection is in use; try again"))

    @app.errorhandler(DBAPIError)
    def unexpected(error: Exception):
        log.exception("unexpected database error")
        return as_json(ApiError(500, "internal_error", "the request failed inside the server"))
