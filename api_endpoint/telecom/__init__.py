"""Network KPIs: the top 3 services by traffic and the top 3 cells by unique users, per interval."""

import datetime as dt
from dataclasses import dataclass
from urllib.parse import urlencode

from apiflask import APIBlueprint, Schema
from flask import Response, render_template, request

from api_endpoint import db
from api_endpoint.negotiation import csv_response, requested
from api_endpoint.telecom.page import intervals, kpi_charts
from api_endpoint.telecom.schemas import KpiQuery, TopCell, TopService

bp = APIBlueprint("telecom", __name__, tag="Network KPIs", template_folder="templates")


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
    # How the page names what is ranked and what it is ranked by.
    noun: str
    unit: str

    @property
    def selected(self) -> str:
        # Identifiers come from this module's own KPI list; every request value is a bound parameter.
        return f"""
            from model_production.{self.table}
            where (cast(:from_at as timestamptz) is null or interval_start_at >= cast(:from_at as timestamptz))
                and (cast(:to_at as timestamptz) is null or interval_end_at <= cast(:to_at as timestamptz))
                and (cast(:interval_name as text) is null or interval_name = cast(:interval_name as text))
        """

    @property
    def query(self) -> str:
        return f"""
            select interval_start_at, interval_end_at, {self.ranked_id}, {self.measure}, interval_name
            {self.selected}
            order by interval_start_at, interval_end_at, {self.rank}
            limit :row_limit offset :row_offset
        """  # noqa: S608

    @staticmethod
    def bound(filters: dict) -> dict:
        return {"from_at": filters.get("from_"), "to_at": filters.get("to"), "interval_name": filters.get("interval")}

    def count(self, filters: dict) -> int:
        return db.fetch_one(f"select count(*) as total {self.selected}", **self.bound(filters))["total"]  # noqa: S608

    def rows(self, filters: dict) -> list[dict]:
        rows = db.fetch_all(self.query, **self.bound(filters), row_limit=filters["limit"], row_offset=filters["offset"])
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
        "services",
        "bytes",
    ),
    Kpi(
        "kpi2",
        "top_cells_by_unique_users",
        "cell_id",
        "cell_rank",
        "number_of_unique_users",
        TopCell,
        "List the top 3 cells by distinct users per interval; an hour counts users distinct over the hour.",
        "cells",
        "unique users",
    ),
]
SELECTION = (
    "Intervals are selected with `start >= from` and `end <= to`, in UTC; `interval` keeps one granularity. "
    "`Accept: text/csv` or `format=csv` gives a CSV file. Pages are `limit` rows from `offset`: `Content-Range` "
    'says which (with the total when the request sends `Prefer: count=exact`), and `Link: rel="next"` points '
    "to the next page when this one is full. A browser gets a page with a chart (`Accept: text/html`)."
)


def _utc_text(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")


def _page_headers(kpi: Kpi, filters: dict, rows: list[dict]) -> dict:
    """Pagination as PostgREST does it: the range returned, its total with `Prefer: count=exact` (else `*`), and
    a `Link` to the next page when this one is full."""
    offset = filters["offset"]
    total = kpi.count(filters) if "count=exact" in request.headers.get("Prefer", "") else None
    shown = f"{offset}-{offset + len(rows) - 1}" if rows else "*"
    headers = {"Content-Range": f"{shown}/{'*' if total is None else total}"}
    if len(rows) == filters["limit"]:
        query = {key: value for key, value in request.args.items() if key != "offset"}
        headers["Link"] = f'<{request.path}?{urlencode({**query, "offset": offset + len(rows)})}>; rel="next"'
    return headers


def _page(kpi: Kpi, filters: dict, rows: list[dict], headers: dict) -> str:
    grouped = intervals(rows, kpi.ranked_id, kpi.measure)
    query = {key: value for key, value in request.args.items() if key != "format"}
    return render_template(
        "telecom/kpi.html",
        kpi=kpi,
        filters=filters,
        values=request.args,
        grouped=grouped,
        charts=kpi_charts(grouped, kpi.noun, kpi.unit),
        json_url=f"{request.path}?{urlencode({**query, 'format': 'json'})}",
        csv_url=f"{request.path}?{urlencode({**query, 'format': 'csv'})}",
        next_url=headers.get("Link", "").partition(">")[0].lstrip("<") or None,
        kpis=KPIS,
    )


def _register(kpi: Kpi) -> None:
    columns = ["interval_start_timestamp", "interval_end_timestamp", kpi.ranked_id, kpi.measure, "interval"]

    def view(filters):
        rows = kpi.rows(filters)
        headers = _page_headers(kpi, filters, rows)
        wanted = requested(filters.get("format"), "application/json", "text/csv", "text/html")
        if wanted == "text/csv":
            response = csv_response(rows, columns, f"{kpi.endpoint}.csv")
            response.headers.update(headers)
            return response
        if wanted == "text/html":
            return Response(_page(kpi, filters, rows, headers), mimetype="text/html", headers=headers)
        return rows, 200, headers

    view.__name__ = kpi.endpoint
    view.__doc__ = f"{kpi.summary}\n\n{SELECTION}"
    view = bp.doc(responses=[400])(view)
    view = bp.output(kpi.schema(many=True))(view)
    view = bp.input(KpiQuery, location="query", arg_name="filters")(view)
    bp.get(f"/{kpi.endpoint}", strict_slashes=False)(view)


for each_kpi in KPIS:
    _register(each_kpi)
