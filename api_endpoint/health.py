"""Liveness and readiness."""

from apiflask import APIBlueprint
from sqlalchemy import text
from sqlalchemy.engine import Connection, CursorResult
from sqlalchemy.exc import SQLAlchemyError

from api_endpoint import db
from api_endpoint.errors import unavailable
from warehouse import registry
from warehouse.domain import PublishedQuery

bp = APIBlueprint("health", __name__, tag="Health")


def published(connection: Connection, declared: PublishedQuery) -> CursorResult | None:
    """Run a domain's declared query (never request input), or return None before its relation exists."""
    exists = connection.execute(text("select to_regclass(:relation)"), {"relation": declared.relation}).scalar()
    return connection.execute(text(declared.query)) if exists else None


def fact_values(connection: Connection, facts) -> dict:
    """Each declared fact's value by name (None before its relation exists)."""
    values = {}
    for fact in facts:
        result = published(connection, fact)
        values[fact.name] = plain(result.scalar() if result else None)
    return values


def plain(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


@bp.get("/check_status")
@bp.doc(responses={200: {"description": "The process is alive.", "content": {"text/plain": {}}}})
def check_status():
    """Say the process is alive."""
    return "Active!", 200, {"Content-Type": "text/plain; charset=utf-8"}


READY_SCHEMA = {
    "type": "object",
    "properties": {
        "status": {"type": "string", "enum": ["ready"]},
        "database": {"type": "string", "enum": ["ok"]},
        "database_role": {"type": "string", "enum": ["primary", "replica"]},
        "replayed_through": {
            "type": ["string", "null"],
            "format": "date-time",
            "description": "On a replica: when the newest transaction it has applied committed on the primary.",
        },
    },
    "required": ["status", "database", "database_role"],
    "additionalProperties": {
        "description": "Each domain's facts: its latest snapshot or interval (null before its first publication), "
        "and whether it serves the generated sample.",
        "type": ["string", "boolean", "null"],
    },
}


@bp.get("/ready")
@bp.doc(
    responses={
        200: {
            "description": "The database answers; what each domain has published.",
            "content": {
                "application/json": {
                    "schema": READY_SCHEMA,
                    "example": {
                        "status": "ready",
                        "database": "ok",
                        "database_role": "primary",
                        "latest_voucher_snapshot": "2018-09-15",
                        "voucher_snapshot_from_sample": False,
                    },
                }
            },
        }
    }
)
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
            answer.update(fact_values(connection, facts))
    except SQLAlchemyError as error:
        raise unavailable(error) from error
    return answer


SNAPSHOTS_EXAMPLE = {
    "vouchers": {
        "snapshots": [
            {
                "as_of_date": "2018-09-15",
                "source_name": "/data/vouchers.csv",
                "source_checksum": "9a3f5be0c0a2f3c1d4e4b7f27e3c0b5a8d6e2f1c4b9a7d3e5f6a1b2c3d4e5f60",
                "raw_rows": 1000,
                "clean_rows": 990,
                "rejected_rows": 8,
                "duplicate_rows": 2,
            }
        ]
    }
}


@bp.get("/snapshots")
@bp.doc(
    responses={
        200: {
            "description": "By domain, what it has published, newest first, with the file each came from (its name "
            "and sha256) and how its rows were accounted; the KPIs say which intervals they cover.",
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "description": "Domain name -> listing name -> its rows.",
                        "additionalProperties": {
                            "type": "object",
                            "additionalProperties": {"type": "array", "items": {"type": "object"}},
                        },
                    },
                    "example": SNAPSHOTS_EXAMPLE,
                }
            },
        }
    }
)
def snapshots():
    """List what each domain has published, with its lineage."""
    answer = {}
    try:
        with db.engine().connect() as connection:
            for domain in registry.domains():
                listed = {}
                for listing in domain.listings:
                    result = published(connection, listing)
                    rows = result.mappings().all() if result else []
                    listed[listing.name] = [{name: plain(value) for name, value in row.items()} for row in rows]
                if listed:
                    answer[domain.name] = listed
    except SQLAlchemyError as error:
        raise unavailable(error) from error
    return answer
