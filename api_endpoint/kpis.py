"""Network KPIs: the top 3 services by traffic and the top 3 cells by unique users, per interval."""

import datetime as dt

from apiflask import APIBlueprint

from api_endpoint import db
from api_endpoint.schemas import KpiQuery, TopCell, TopService

bp = APIBlueprint("kpis", __name__, tag="Network KPIs")

# Both KPI tables share their shape; only the ranked thing and its measure differ.
KPI_QUERY = """
select
    interval_start_at,
    interval_end_at,
    {ranked_id},
    {measure},
    interval_name
from model_production.{table}
where (cast(:from_at as timestamptz) is null or interval_start_at >= cast(:from_at as timestamptz))
    and (cast(:to_at as timestamptz) is null or interval_end_at <= cast(:to_at as timestamptz))
    and (cast(:interval_name as text) is null or interval_name = cast(:interval_name as text))
order by interval_start_at, interval_end_at, {rank}
limit :row_limit offset :row_offset
"""
TOP_SERVICES_QUERY = KPI_QUERY.format(
    ranked_id="service_id", measure="total_bytes", table="top_services_by_traffic", rank="service_rank"
)
TOP_CELLS_QUERY = KPI_QUERY.format(
    ranked_id="cell_id", measure="number_of_unique_users", table="top_cells_by_unique_users", rank="cell_rank"
)


def _utc_text(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")


def _rows(query: str, filters: dict, ranked_id: str, measure: str) -> list[dict]:
    rows = db.fetch_all(
        query,
        from_at=filters.get("from_"),
        to_at=filters.get("to"),
        interval_name=filters.get("interval"),
        row_limit=filters["limit"],
        row_offset=filters["offset"],
    )
    return [
        {
            "interval_start_timestamp": _utc_text(row["interval_start_at"]),
            "interval_end_timestamp": _utc_text(row["interval_end_at"]),
            ranked_id: row[ranked_id],
            measure: row[measure],
            "interval": row["interval_name"],
        }
        for row in rows
    ]


@bp.get("/kpi1", strict_slashes=False)
@bp.input(KpiQuery, location="query", arg_name="filters")
@bp.output(TopService(many=True))
@bp.doc(responses=[400])
def kpi1(filters):
    """List the top 3 services by traffic (uplink + downlink bytes) per interval.

    Intervals are selected with `start >= from` and `end <= to`, in UTC; `interval` keeps one granularity.
    """
    return _rows(TOP_SERVICES_QUERY, filters, "service_id", "total_bytes")


@bp.get("/kpi2", strict_slashes=False)
@bp.input(KpiQuery, location="query", arg_name="filters")
@bp.output(TopCell(many=True))
@bp.doc(responses=[400])
def kpi2(filters):
    """List the top 3 cells by distinct users per interval; an hour counts users distinct over the hour.

    Intervals are selected with `start >= from` and `end <= to`, in UTC; `interval` keeps one granularity.
    """
    return _rows(TOP_CELLS_QUERY, filters, "cell_id", "number_of_unique_users")
