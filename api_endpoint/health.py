"""Liveness and readiness."""

from apiflask import APIBlueprint
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from api_endpoint import db
from api_endpoint.errors import ApiError

bp = APIBlueprint("health", __name__, tag="Health")


@bp.get("/check_status")
@bp.doc(responses={200: {"description": "The process is alive.", "content": {"text/plain": {}}}})
def check_status():
    """Say the process is alive."""
    return "Active!", 200, {"Content-Type": "text/plain; charset=utf-8"}


@bp.get("/ready")
def ready():
    """Say whether the database answers and what has been published."""
    try:
        with db.engine().connect() as connection:
            connection.execute(text("select 1"))
            published = connection.execute(
                text("select to_regclass('model_production.voucher_snapshots') is not null")
            ).scalar()
            latest = None
            if published:
                latest = connection.execute(
                    text("select max(as_of_date) from model_production.voucher_snapshots")
                ).scalar()
    except SQLAlchemyError as error:
        raise ApiError(503, "database_unavailable", "the warehouse database is not reachable") from error
    return {
        "status": "ready",
        "database": "ok",
        "latest_voucher_snapshot": latest.isoformat() if latest else None,
    }
