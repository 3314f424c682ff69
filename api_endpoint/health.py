"""Liveness and readiness."""

from apiflask import APIBlueprint
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from api_endpoint import db
from api_endpoint.errors import unavailable
from warehouse import registry

bp = APIBlueprint("health", __name__, tag="Health")


@bp.get("/check_status")
@bp.doc(responses={200: {"description": "The process is alive.", "content": {"text/plain": {}}}})
def check_status():
    """Say the process is alive."""
    return "Active!", 200, {"Content-Type": "text/plain; charset=utf-8"}


@bp.get("/ready")
def ready():
    """Say whether the database answers, whether it is a replica, and what each domain has published.

    On a streaming replica, `replayed_through` is when the newest transaction it has applied committed on the
    primary: what it serves is whole as of then.
    """
    facts = [fact for domain in registry.domains() for fact in domain.facts]
    answer = {"status": "ready", "database": "ok"}
    try:
        with db.engine().connect() as connection:
            replica, replayed = connection.execute(
                text("select pg_is_in_recovery(), pg_last_xact_replay_timestamp()")
            ).one()
            answer["database_role"] = "replica" if replica else "primary"
            if replica:
                answer["replayed_through"] = replayed.isoformat() if replayed else None
            for fact in facts:
                # A fact's query is the domain's own declaration, never request input.
                published = connection.execute(text("select to_regclass(:relation)"), {"relation": fact.relation})
                value = connection.execute(text(fact.query)).scalar() if published.scalar() else None
                answer[fact.name] = value.isoformat() if hasattr(value, "isoformat") else value
    except SQLAlchemyError as error:
        raise unavailable(error) from error
    return answer
