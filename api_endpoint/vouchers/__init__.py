"""Voucher selection: which voucher amount to offer a customer, and the segments behind the answer."""

import datetime as dt

from apiflask import APIBlueprint
from flask import Response, render_template, request
from marshmallow import ValidationError
from sqlalchemy.exc import SQLAlchemyError

from api_endpoint import db
from api_endpoint.errors import ApiError
from api_endpoint.negotiation import csv_response, requested
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

ANSWER_QUERY = """
with snapshot as (
    -- from_sample through to_jsonb: a snapshot published before the column existed reads false, not an error.
    select as_of_date, coalesce((to_jsonb(snapshots) ->> 'from_sample')::boolean, false) as from_sample
    from model_production.voucher_snapshots as snapshots
    where cast(:as_of as date) is null or as_of_date = cast(:as_of as date)
    order by as_of_date desc
    limit 1
),

segment as (
    select rules.segment_name
    from model_production.voucher_segment_rules as rules
    inner join snapshot on snapshot.as_of_date = rules.as_of_date
    where rules.segment_type = :segment_type
        and case rules.measure
            when 'total_orders' then cast(:total_orders as integer)
            else snapshot.as_of_date - cast(:last_order_date as date)
        end between rules.min_value and coalesce(rules.max_value, 2147483647)
    order by rules.min_value
    limit 1
),

-- The snapshot's spelling of the country, whatever the case it was asked in (an exact match first).
country as (
    select known.country_code
    from model_production.voucher_selection as known
    inner join snapshot on snapshot.as_of_date = known.as_of_date
    where lower(known.country_code) = lower(:country_code)
    order by known.country_code = :country_code desc
    limit 1
)

select
    snapshot.as_of_date,
    snapshot.from_sample,
    snapshot.as_of_date - cast(:last_order_date as date) as days_since_last_order,
    segment.segment_name,
    country.country_code,
    selection.voucher_amount,
    selection.voucher_uses,
    selection.segment_uses,
    selection.runner_up_voucher_amount,
    selection.runner_up_voucher_uses
from snapshot
left join segment on true
left join country on true
left join model_production.voucher_selection as selection
    on selection.as_of_date = snapshot.as_of_date
    and selection.country_code = country.country_code
    and selection.segment_type = :segment_type
    and selection.segment_name = segment.segment_name
"""

KNOWN_COUNTRIES_QUERY = """
select distinct country_code from model_production.voucher_selection
where as_of_date = :as_of
order by country_code
"""

LATEST_COUNTRIES_QUERY = """
select distinct country_code from model_production.voucher_selection
where as_of_date = (select max(as_of_date) from model_production.voucher_snapshots)
order by country_code
"""

CRITERIA_QUERY = """
with snapshot as (
    -- from_sample through to_jsonb: a snapshot published before the column existed reads false, not an error.
    select as_of_date, coalesce((to_jsonb(snapshots) ->> 'from_sample')::boolean, false) as from_sample
    from model_production.voucher_snapshots as snapshots
    where cast(:as_of as date) is null or as_of_date = cast(:as_of as date)
    order by as_of_date desc
    limit 1
)

select
    snapshot.as_of_date,
    snapshot.from_sample,
    rules.segment_type,
    rules.segment_name,
    rules.measure,
    rules.min_value,
    rules.max_value,
    selection.country_code,
    selection.voucher_amount,
    selection.voucher_uses,
    selection.segment_uses,
    selection.runner_up_voucher_amount
from snapshot
inner join model_production.voucher_segment_rules as rules on rules.as_of_date = snapshot.as_of_date
left join model_production.voucher_selection as selection
    on selection.as_of_date = rules.as_of_date
    and selection.segment_type = rules.segment_type
    and selection.segment_name = rules.segment_name
order by rules.segment_type, rules.min_value, selection.country_code
"""


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
    as_of = question.get("as_of")
    last_order_date = question["last_order_ts"].date()
    row = db.fetch_one(
        ANSWER_QUERY,
        as_of=as_of,
        segment_type=question["segment_name"],
        total_orders=question["total_orders"],
        last_order_date=last_order_date,
        country_code=question["country_code"],
    )
    if row is None:
        raise no_snapshot(as_of)
    if row["country_code"] is None:
        known = [known["country_code"] for known in db.fetch_all(KNOWN_COUNTRIES_QUERY, as_of=row["as_of_date"])]
        raise ApiError(
            422,
            "unknown_country",
            f"invalid value for country_code: no data for {question['country_code']!r}",
            {"fields": {"country_code": [f"must be one of {known}"]}},
        )
    measure = (
        f"{question['total_orders']} orders"
        if question["segment_name"] == "frequent_segment"
        else f"{row['days_since_last_order']} days since the last order"
    )
    if row["segment_name"] is None:
        raise ApiError(
            404,
            "no_segment",
            f"no {question['segment_name']} matches {measure}",
            {"segment_type": question["segment_name"], "as_of": row["as_of_date"].isoformat()},
        )
    if row["voucher_amount"] is None:
        raise ApiError(
            404,
            "no_answer",
            f"no voucher was used in {row['country_code']} segment {row['segment_name']}",
            {"segment_name": row["segment_name"], "as_of": row["as_of_date"].isoformat()},
        )
    runner_up = None
    if row["runner_up_voucher_amount"] is not None:
        runner_up = {
            "voucher_amount": float(row["runner_up_voucher_amount"]),
            "voucher_uses": row["runner_up_voucher_uses"],
        }
    return {
        "voucher_amount": float(row["voucher_amount"]),
        "segment_type": question["segment_name"],
        "segment_name": row["segment_name"],
        "as_of": row["as_of_date"],
        "from_sample": row["from_sample"],
        "country_code": row["country_code"],
        "customer_id": question.get("customer_id"),
        "total_orders": question["total_orders"],
        "days_since_last_order": row["days_since_last_order"],
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
    rows = db.fetch_all(CRITERIA_QUERY, as_of=as_of)
    if not rows:
        raise no_snapshot(as_of)
    segments: dict[tuple, dict] = {}
    for row in rows:
        key = (row["segment_type"], row["segment_name"])
        segment = segments.setdefault(
            key,
            {
                "segment_type": row["segment_type"],
                "segment_name": row["segment_name"],
                "measure": row["measure"],
                "min_value": row["min_value"],
                "max_value": row["max_value"],
                "answers": [],
            },
        )
        if row["country_code"] is not None:
            segment["answers"].append(
                {
                    "country_code": row["country_code"],
                    "voucher_amount": float(row["voucher_amount"]),
                    "voucher_uses": row["voucher_uses"],
                    "segment_uses": row["segment_uses"],
                    "runner_up_voucher_amount": (
                        float(row["runner_up_voucher_amount"]) if row["runner_up_voucher_amount"] is not None else None
                    ),
                }
            )
    return {"as_of": rows[0]["as_of_date"], "from_sample": rows[0]["from_sample"], "segments": list(segments.values())}


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
        return [row["country_code"] for row in db.fetch_all(LATEST_COUNTRIES_QUERY)]
    except SQLAlchemyError:
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
