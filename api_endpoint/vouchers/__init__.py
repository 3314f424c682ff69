"""Voucher selection: which voucher amount to offer a customer, and the segments behind the answer."""

import datetime as dt
from dataclasses import dataclass

from apiflask import APIBlueprint
from flask import Response, render_template, request
from marshmallow import ValidationError
from sqlalchemy.exc import SQLAlchemyError

from api_endpoint import db, sample
from api_endpoint.errors import ApiError
from api_endpoint.negotiation import csv_response, requested
from api_endpoint.published import memo
from api_endpoint.schemas import require_json_object
from api_endpoint.vouchers.schemas import (
    SEGMENT_TYPES,
    CriteriaQuery,
    SelectionCriteria,
    VoucherAnswer,
    VoucherQuestion,
)

bp = APIBlueprint("vouchers", __name__, tag="Vouchers", template_folder="templates")

# A question the published snapshots answer: 5 orders put Peru's customer in frequent segment 5-13.
QUESTION_EXAMPLE = {
    "customer_id": 123,
    "country_code": "Peru",
    "last_order_ts": "2018-06-07 00:00:00",
    "first_order_ts": "2017-05-03 00:00:00",
    "total_orders": 5,
    "segment_name": "frequent_segment",
}

# Which snapshots are published, each with the transaction that wrote it: a republication changes it.
VERSION_QUERY = """
select md5(coalesce(string_agg(as_of_date::text || '/' || xmin::text, ',' order by as_of_date), '')) as version
from model_production.voucher_snapshots
"""

SNAPSHOT_QUERY = """
with snapshot as (
    -- from_sample through to_jsonb: a snapshot published before the column existed reads false, not an error.
    select
        as_of_date,
        coalesce((to_jsonb(snapshots) ->> 'from_sample')::boolean, false) as from_sample,
        -- Every country the snapshot answers for, in the database's order.
        array(
            select distinct selection.country_code
            from model_production.voucher_selection as selection
            where selection.as_of_date = snapshots.as_of_date
            order by selection.country_code
        ) as countries
    from model_production.voucher_snapshots as snapshots
    where cast(:as_of as date) is null or as_of_date = cast(:as_of as date)
    order by as_of_date desc
    limit 1
)

select
    snapshot.as_of_date,
    snapshot.from_sample,
    snapshot.countries,
    rules.segment_type,
    rules.segment_name,
    rules.measure,
    rules.min_value,
    rules.max_value,
    selection.country_code,
    selection.voucher_amount,
    selection.voucher_uses,
    selection.segment_uses,
    selection.runner_up_voucher_amount,
    selection.runner_up_voucher_uses
from snapshot
left join model_production.voucher_segment_rules as rules on rules.as_of_date = snapshot.as_of_date
left join model_production.voucher_selection as selection
    on selection.as_of_date = rules.as_of_date
    and selection.segment_type = rules.segment_type
    and selection.segment_name = rules.segment_name
order by rules.segment_type, rules.min_value, selection.country_code
"""
# A measure no rule bounds above.
UNBOUNDED = 2_147_483_647


@dataclass(frozen=True)
class Snapshot:
    """One published voucher snapshot, whole: its segment rules and its answer per country and segment."""

    as_of: dt.date
    from_sample: bool
    countries: tuple[str, ...]
    rules: dict[str, list[dict]]
    # A country's spellings by its lower case: a question may name it in any case.
    spellings: dict[str, list[str]]
    answers: dict[tuple[str, str, str], dict]
    criteria: dict

    @classmethod
    def from_rows(cls, rows: list[dict]) -> "Snapshot":
        rules: dict[str, list[dict]] = {}
        answers: dict[tuple[str, str, str], dict] = {}
        segments: dict[tuple, dict] = {}
        for row in rows:
            if row["segment_type"] is None:
                continue
            key = (row["segment_type"], row["segment_name"])
            if key not in segments:
                rule = {
                    name: row[name] for name in ("segment_type", "segment_name", "measure", "min_value", "max_value")
                }
                segments[key] = {**rule, "answers": []}
                rules.setdefault(row["segment_type"], []).append(rule)
            if row["country_code"] is not None:
                answers[(row["country_code"], *key)] = row
                segments[key]["answers"].append(
                    {
                        "country_code": row["country_code"],
                        "voucher_amount": float(row["voucher_amount"]),
                        "voucher_uses": row["voucher_uses"],
                        "segment_uses": row["segment_uses"],
                        "runner_up_voucher_amount": _amount(row["runner_up_voucher_amount"]),
                    }
                )
        first = rows[0]
        spellings: dict[str, list[str]] = {}
        for country in first["countries"]:
            spellings.setdefault(country.lower(), []).append(country)
        criteria = {
            "as_of": first["as_of_date"],
            "from_sample": first["from_sample"],
            "segments": list(segments.values()),
        }
        return cls(
            first["as_of_date"], first["from_sample"], tuple(first["countries"]), rules, spellings, answers, criteria
        )

    def country(self, asked: str) -> str | None:
        """The snapshot's spelling of a country asked in any case (its exact spelling first)."""
        spelled = self.spellings.get(asked.lower(), [])
        return asked if asked in spelled else next(iter(spelled), None)

    def segment(self, segment_type: str, total_orders: int, days_since_last_order: int) -> str | None:
        """The first segment, by its lower bound, whose measure holds the customer's."""
        for rule in self.rules.get(segment_type, []):
            value = total_orders if rule["measure"] == "total_orders" else days_since_last_order
            upper = UNBOUNDED if rule["max_value"] is None else rule["max_value"]
            if rule["min_value"] <= value <= upper:
                return rule["segment_name"]
        return None


def _amount(value) -> float | None:
    return None if value is None else float(value)


def snapshot(as_of: dt.date | None) -> Snapshot:
    """The snapshot published for `as_of` (the latest when None), from this worker's memory while it is current."""
    found = memo("voucher_snapshots", VERSION_QUERY).get(as_of, lambda: _load_snapshot(as_of))
    if found is None:
        raise no_snapshot(as_of)
    return found


def _load_snapshot(as_of: dt.date | None) -> Snapshot | None:
    rows = db.fetch_all(SNAPSHOT_QUERY, as_of=as_of)
    return Snapshot.from_rows(rows) if rows else None


sample.FROM_MEMORY[bp.name] = lambda: snapshot(None).from_sample


def no_snapshot(as_of: dt.date | None) -> ApiError:
    if as_of:
        return ApiError(
            404,
            "no_snapshot",
            f"no voucher snapshot was published for {as_of.isoformat()}",
            {"as_of": as_of.isoformat()},
        )
    return ApiError(404, "no_snapshot", "no voucher snapshot has been published yet: run voucher_selection")


def answer(question: dict) -> dict:
    """Return the voucher answer for a validated question, or raise an ApiError saying why there is none."""
    published = snapshot(question.get("as_of"))
    as_of = published.as_of
    days_since_last_order = (as_of - question["last_order_ts"].date()).days
    country = published.country(question["country_code"])
    if country is None:
        raise ApiError(
            422,
            "unknown_country",
            f"invalid value for country_code: no data for {question['country_code']!r}",
            {"fields": {"country_code": [f"must be one of {list(published.countries)}"]}},
        )
    segment_type = question["segment_name"]
    segment_name = published.segment(segment_type, question["total_orders"], days_since_last_order)
    if segment_name is None:
        measure = (
            f"{question['total_orders']} orders"
            if segment_type == "frequent_segment"
            else f"{days_since_last_order} days since the last order"
        )
        raise ApiError(
            404,
            "no_segment",
            f"no {segment_type} matches {measure}",
            {"segment_type": segment_type, "as_of": as_of.isoformat()},
        )
    row = published.answers.get((country, segment_type, segment_name))
    if row is None:
        raise ApiError(
            404,
            "no_answer",
            f"no voucher was used in {country} segment {segment_name}",
            {"segment_name": segment_name, "as_of": as_of.isoformat()},
        )
    runner_up = None
    if row["runner_up_voucher_amount"] is not None:
        runner_up = {
            "voucher_amount": float(row["runner_up_voucher_amount"]),
            "voucher_uses": row["runner_up_voucher_uses"],
        }
    return {
        "voucher_amount": float(row["voucher_amount"]),
        "segment_type": segment_type,
        "segment_name": segment_name,
        "as_of": as_of,
        "from_sample": published.from_sample,
        "country_code": country,
        "customer_id": question.get("customer_id"),
        "total_orders": question["total_orders"],
        "days_since_last_order": days_since_last_order,
        "voucher_uses": row["voucher_uses"],
        "segment_uses": row["segment_uses"],
        "share": round(row["voucher_uses"] / row["segment_uses"], 4),
        "runner_up": runner_up,
    }


@bp.before_request
def read_json_body():
    """Refuse a JSON endpoint's body unless it is a JSON object, before validation."""
    if request.method == "POST" and request.endpoint in ("vouchers.voucher", "vouchers.voucher_segment_selector"):
        require_json_object()


@bp.post("/voucher")
@bp.input(VoucherQuestion, location="json", arg_name="question", example=QUESTION_EXAMPLE)
@bp.output(VoucherAnswer)
@bp.doc(responses=[400, 404, 415, 422])
def voucher(question):
    """Choose the voucher amount for a customer.

    The answer is the most used amount in the customer's segment and country (ties: the smaller amount),
    from the latest snapshot or the one named by `as_of`, with the counts that explain it.
    """
    return answer(question)


@bp.post("/voucher_segment_selector")
@bp.input(VoucherQuestion, location="json", arg_name="question", example=QUESTION_EXAMPLE)
@bp.output(VoucherAnswer)
@bp.doc(responses=[400, 404, 415, 422])
def voucher_segment_selector(question):
    """Choose the voucher amount for a customer (alias of POST /voucher)."""
    return answer(question)


def criteria(as_of: dt.date | None) -> dict:
    published = snapshot(as_of)
    if not published.rules:
        # A snapshot without segment rules has no criteria to list (the checks do not publish one).
        raise no_snapshot(as_of)
    return published.criteria


@bp.get("/selection_criteria")
@bp.input(CriteriaQuery, location="query", arg_name="query")
@bp.output(SelectionCriteria, content_type="application/json")
@bp.doc(responses=[400, 404])
def selection_criteria(query):
    """List the segment rules with the current answer per country and segment.

    A browser gets an HTML table; send `Accept: application/json` for JSON.
    """
    result = criteria(query.get("as_of"))
    wanted = requested(query.get("format"), "text/html", "application/json", "text/csv")
    # A Response passes through the output schema untouched.
    if wanted == "text/csv":
        return csv_response(_criteria_rows(result), CRITERIA_COLUMNS, f"selection_criteria-{result['as_of']}.csv")
    if wanted == "text/html":
        countries = sorted({each["country_code"] for segment in result["segments"] for each in segment["answers"]})
        return Response(
            render_template("vouchers/selection_criteria.html", result=result, countries=countries),
            mimetype="text/html",
        )
    return result


CRITERIA_COLUMNS = [
    "as_of",
    "from_sample",
    "segment_type",
    "segment_name",
    "measure",
    "min_value",
    "max_value",
    "country_code",
    "voucher_amount",
    "voucher_uses",
    "segment_uses",
    "runner_up_voucher_amount",
]


def _criteria_rows(result: dict):
    """The criteria flat, a row per segment and country (a segment no country used is one row without one)."""
    for segment in result["segments"]:
        rule = {key: segment[key] for key in ("segment_type", "segment_name", "measure", "min_value", "max_value")}
        for answer in segment["answers"] or [{}]:
            yield {"as_of": result["as_of"], "from_sample": result["from_sample"], **rule, **answer}


def _form_question(form) -> dict:
    """Turn the HTML form's strings into the JSON question's types, leaving bad values for validation."""
    question = {key: value for key, value in form.items() if value != ""}
    for key in ("customer_id", "total_orders"):
        # Past 19 characters no value can be in range: it stays text, and validation names the field.
        if key in question and question[key].lstrip("-").isdigit() and len(question[key]) <= 19:
            question[key] = int(question[key])
    return question


def _latest_countries() -> list[str]:
    """The latest snapshot's countries, for the form's drop-down; none (a text box) while the database is away."""
    try:
        return list(snapshot(None).countries)
    except (SQLAlchemyError, ApiError):
        return []


QUESTION_FIELDS = ("customer_id", "country_code", "first_order_ts", "last_order_ts", "total_orders", "segment_name")


@bp.route("/search_voucher", methods=["GET", "POST"])
@bp.doc(responses={200: {"description": "An HTML form.", "content": {"text/html": {}}}})
def search_voucher():
    """Ask the voucher question through an HTML form.

    The form sends its question as query parameters, so an answer is a link that can be shared or bookmarked
    (`/search_voucher?country_code=Peru&total_orders=5&...`); a form POST is answered the same way.
    """
    values, result, error, status = {}, None, None, 200
    asked = request.form if request.method == "POST" else request.args
    if any(field in asked for field in QUESTION_FIELDS):
        values = asked.to_dict()
        try:
            result = answer(VoucherQuestion().load(_form_question(values)))
        except ValidationError as invalid:
            status = 422
            error = {
                "message": "invalid value for " + ", ".join(sorted(invalid.messages)),
                "details": invalid.messages,
            }
        except ApiError as refused:
            status = refused.status_code
            error = {"message": refused.message, "details": refused.detail}
    countries = _latest_countries() if status != 503 else []
    html = render_template(
        "vouchers/search_voucher.html",
        values=values,
        result=result,
        error=error,
        segment_types=SEGMENT_TYPES,
        countries=countries,
    )
    return html, status, {"Content-Type": "text/html; charset=utf-8"}
