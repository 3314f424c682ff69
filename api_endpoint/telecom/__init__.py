"""Network KPIs: the top 3 services by traffic and the top 3 cells by unique users, per interval."""

import datetime as dt
from dataclasses import dataclass

from apiflask import APIBlueprint, Schema

from api_endpoint import db
from api_endpoint.telecom.schemas import KpiQuery, TopCell, TopService

bp = APIBlueprint("telecom", __name__, tag="Network KPIs")


@dataclass(frozen=True)
class Kpi:
    """One KPI endpoint: the production table it reads, the ranked id, its rank and its measure."""

    endpoint: str
    table: str
    ranked_id: str
    rank: str
    measure: str
    schema: type[Schema]
    summary: str

    @property
    def query(self) -> str:
        # Identifiers come from this module's own KPI list; every request value is a bound parameter.
        return f"""
            select interval_start_at, interval_end_at, {self.ranked_id}, {self.measure}, interval_name
            from model_production.{self.table}
            where (cast(:from_at as timestamptz) is null or interval_start_at >= cast(:from_at as timestamptz))
                and (cast(:to_at as timestamptz) is null or interval_end_at <= cast(:to_at as timestamptz))
                and (cast(:interval_name as text) is null or interval_name = cast(:interval_name as text))
            order by interval_start_at, interval_end_at, {self.rank}
            limit :row_limit offset :row_offset
        """  # noqa: S608

    def rows(self, filters: dict) -> list[dict]:
        rows = db.fetch_all(
            self.query,
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
                self.ranked_id: row[self.ranked_id],
                self.measure: row[self.measure],
                "interval": row["interval_name"],
            }
            for row in rows
        ]


KPIS = [
    Kpi(
        "kpi1",
        "top_services_by_traffic",
        "service_id",
        "service_rank",
        "total_bytes",
        TopService,
        "List the top 3 services by traffic (uplink + downlink bytes) per interval.",
    ),
    Kpi(
        "kpi2",
        "top_cells_by_unique_users",
        "cell_id",
        "cell_rank",
        "number_of_unique_users",
        TopCell,
        "List the top 3 cells by distinct users per interval; an hour counts users distinct over the hour.",
    ),
]
SELECTION = "Intervals are selected with `start >= from` and `end <= to`, in UTC; `interval` keeps one granularity."


def _utc_text(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")


def _register(kpi: Kpi) -> None:
    def view(filters):
        return kpi.rows(filters)

    view.__name__ = kpi.endpoint
    view.__doc__ = f"{kpi.summary}\n\n{SELECTION}"
    view = bp.doc(responses=[400])(view)
    view = bp.output(kpi.schema(many=True))(view)
    view = bp.input(KpiQuery, location="query", arg_name="filters")(view)
    bp.get(f"/{kpi.endpoint}", strict_slashes=False)(view)


for each_kpi in KPIS:
    _register(each_kpi)
