"""Revenue change attribution: which metrics, assets and attributes explain a day's change in a casino metric."""

from apiflask import APIBlueprint
from flask import Response, render_template, request, url_for
from marshmallow import ValidationError
from sqlalchemy.exc import SQLAlchemyError

from api_endpoint import db
from api_endpoint.attribution import answers, page
from api_endpoint.attribution.schemas import (
    DIMENSIONS,
    Answer,
    AssetQuestion,
    DimensionQuestion,
    GroupQuestion,
    Question,
)
from api_endpoint.errors import ApiError
from api_endpoint.negotiation import preferred
from api_endpoint.schemas import require_json_object
from warehouse.domains.attribution.algorithms import METHODS, METRICS, AttributionError

bp = APIBlueprint("attribution", __name__, tag="Attribution", template_folder="templates")

QUESTIONS: dict[str, type[Question]] = {
    "singlerankmetrics": AssetQuestion,
    "grouprankmetrics": GroupQuestion,
    "grouprankdimensions": DimensionQuestion,
}
QUESTION_VIEWS = {f"attribution.{name}_{verb}" for name in QUESTIONS for verb in ("get", "post")}
ERRORS = [400, 404, 413, 415, 422, 503]
# A query string cannot carry rows, so the GETs document neither the rows nor their date key.
BODY_ONLY = ("data", "date_col")
EXAMPLES = {
    "singlerankmetrics": {"date_target": "2018-03-23", "asset": "A0017", "metric_col": "coinIn"},
    "grouprankmetrics": {"date_target": "2018-03-23", "zone": "Z2", "baseline_weeks": 4},
    "grouprankdimensions": {"date_target": "2018-03-23", "algorithm": "adtributor"},
}
CALLER_DATA_EXAMPLE = {
    "date_target": "2018-03-23",
    "data": [
        {"gamingDate": "2018-03-16", "coinInCarded": 700.0, "coinInUncarded": 300.0, "handlePullsCarded": 350,
         "handlePullsUncarded": 150},
        {"gamingDate": "2018-03-23", "coinInCarded": 760.0, "coinInUncarded": 180.0, "handlePullsCarded": 380,
         "handlePullsUncarded": 150},
    ],
}  # fmt: skip
PAGE_OPTIONS_QUERY = """
with latest as (
    select * from model_production.asset_metrics_daily
    where gaming_date = (select max(gaming_date) from model_production.asset_metrics_daily)
)

select
    array(select distinct zone from latest order by 1) as zones,
    array(select distinct bank from latest order by 1) as banks,
    array(select distinct game_type from latest order by 1) as game_types,
    array(select distinct denomination::text from latest order by 1) as denominations
"""


@bp.before_request
def read_json_body():
    """Refuse a question's body unless it is a JSON object, before validation.

    A GET may carry the question as a JSON body, as the seed's notebook sends it; it is then read like a POST.
    """
    if request.endpoint not in QUESTION_VIEWS:
        return
    if request.method == "POST" or has_body():
        require_json_object()


def has_body() -> bool:
    return bool(request.content_length) or bool(request.get_data(cache=True))


def question_from_request(endpoint: str) -> dict:
    """Validate the question from the JSON body, or else the query string; raise a 422 naming each bad field."""
    if request.method == "POST" or has_body():
        given = request.get_json()
    else:
        given = query_values(request.args)
        if "data" in given:
            raise invalid({"data": ["send your own rows in a JSON body (POST), not in the query string"]})
    return validated(endpoint, given)


def query_values(args) -> dict:
    """Turn a query string into the question's fields: `assets` may repeat or list with commas, nothing else."""
    given: dict = {}
    for name, values in args.to_dict(flat=False).items():
        if name == "assets":
            given[name] = [asset for value in values for asset in value.split(",") if asset]
        elif len(values) > 1:
            raise invalid({name: ["given more than once"]})
        else:
            given[name] = values[0]
    return given


def validated(endpoint: str, given: dict) -> dict:
    if "path" in given:
        raise ApiError(
            422,
            "path_not_supported",
            "invalid value for path: the API never reads a file on the server or fetches a URL for a caller; "
            "send the rows themselves in `data` (POST)",
            {"fields": {"path": ["not supported; send the rows in data"]}},
        )
    try:
        return QUESTIONS[endpoint]().load(given)
    except ValidationError as error:
        raise invalid(error.messages) from error


def invalid(messages: dict) -> ApiError:
    return ApiError(422, "invalid_values", "invalid value for " + ", ".join(sorted(messages)), {"fields": messages})


def respond(endpoint: str):
    """Answer as JSON, or as a page with the waterfall chart when a browser asks for HTML."""
    wants_html = preferred("application/json", "text/html") == "text/html"
    if not wants_html:
        return explain(endpoint, question_from_request(endpoint))
    values = {key: value for key, value in request.args.items() if value != ""}
    try:
        result, error, status = explain(endpoint, question_from_request(endpoint)), None, 200
    except ApiError as refused:
        result, error, status = None, {"message": refused.message, "details": refused.detail}, refused.status_code
    return render_page(endpoint, values, result, error, status)


def explain(endpoint: str, question: dict) -> dict:
    try:
        return answers.answer(endpoint, question)
    except AttributionError as error:
        raise ApiError(422, error.code, error.message, {"fields": {error.field: [error.message]}}) from error


def render_page(endpoint: str, values: dict, result: dict | None, error: dict | None, status: int) -> Response:
    chart = None
    if result is not None:
        chart = page.waterfall_svg(result) or page.score_svg(result)
    # A question asked in a body has no link; one asked in the query string links to itself as JSON.
    asked_by_link = request.method == "GET" and not has_body()
    json_url = url_for(f"attribution.{endpoint}_get", **values) if result is not None and asked_by_link else None
    html = render_template(
        "attribution/page.html",
        endpoint=endpoint,
        values=values,
        options=page_options(),
        answer=result,
        error=error,
        chart=chart,
        json_url=json_url,
    )
    return Response(html, status=status, mimetype="text/html")


def page_options() -> dict:
    """The form's choices: the metrics, and the zones, banks, game types and denominations of the latest day."""
    options = {
        "metrics": list(METRICS),
        "dimensions": DIMENSIONS,
        "algorithms": answers.ALGORITHMS,
        "methods": list(METHODS),
    }
    try:
        known = db.fetch_one(PAGE_OPTIONS_QUERY) or {}
    except SQLAlchemyError:
        # Nothing is published yet, or the database is away: the form still works with free text.
        db.get_db().rollback()
        known = {}
    return {**options, **{name: known.get(name) or [] for name in ("zones", "banks", "game_types", "denominations")}}


@bp.get("/singlerankmetrics")
@bp.input(AssetQuestion(exclude=BODY_ONLY), location="query", arg_name="query", validation=False)
@bp.output(Answer)
@bp.doc(operation_id="singleRankMetricsGet", responses=ERRORS)
def singlerankmetrics_get(query):
    """Explain one asset's change by metric.

    Which metrics explain the change of `metric_col` for one asset (`asset`) on `date_target`, against the
    same weekday of the `baseline_weeks` weeks before. `decomposition` (default) walks the identity tree
    (coinIn = carded + uncarded, each games x average bet) so contributions add up to the change; `normdiff`
    is the seed's normalised difference. A JSON body on a GET is read like a POST.
    """
    return respond("singlerankmetrics")


@bp.post("/singlerankmetrics")
@bp.input(AssetQuestion, location="json", arg_name="body", validation=False, example=EXAMPLES["singlerankmetrics"])
@bp.output(Answer)
@bp.doc(operation_id="singleRankMetricsPost", responses=ERRORS)
def singlerankmetrics_post(body):
    """Explain one asset's change by metric (JSON body; `data` runs on your own rows)."""
    return respond("singlerankmetrics")


@bp.get("/grouprankmetrics")
@bp.input(GroupQuestion(exclude=BODY_ONLY), location="query", arg_name="query", validation=False)
@bp.output(Answer)
@bp.doc(operation_id="groupRankMetricsGet", responses=ERRORS)
def grouprankmetrics_get(query):
    """Explain a group's change by metric.

    The group is the whole casino, or the assets of a `bank`, `zone`, `gameType`, `denomination` (all that are
    given), or the list `assets`. Each day, a group's meters are the sums of its assets' meters that day.
    """
    return respond("grouprankmetrics")


@bp.post("/grouprankmetrics")
@bp.input(GroupQuestion, location="json", arg_name="body", validation=False, example=CALLER_DATA_EXAMPLE)
@bp.output(Answer)
@bp.doc(operation_id="groupRankMetricsPost", responses=ERRORS)
def grouprankmetrics_post(body):
    """Explain a group's change by metric (JSON body; `data` runs on your own rows)."""
    return respond("grouprankmetrics")


@bp.get("/grouprankdimensions")
@bp.input(DimensionQuestion(exclude=BODY_ONLY), location="query", arg_name="query", validation=False)
@bp.output(Answer)
@bp.doc(operation_id="groupRankDimensionsGet", responses=ERRORS)
def grouprankdimensions_get(query):
    """Explain a group's change by asset or attribute.

    `contribution` (default) ranks the values of `dimension` by their own change, with rate and mix effects
    for an average bet; `adtributor` searches every dimension at once and reports the `limit` dimensions
    whose few values explain the change with the most surprise.
    """
    return respond("grouprankdimensions")


@bp.post("/grouprankdimensions")
@bp.input(
    DimensionQuestion, location="json", arg_name="body", validation=False, example=EXAMPLES["grouprankdimensions"]
)
@bp.output(Answer)
@bp.doc(operation_id="groupRankDimensionsPost", responses=ERRORS)
def grouprankdimensions_post(body):
    """Explain a group's change by asset or attribute (JSON body; `data` runs on your own rows)."""
    return respond("grouprankdimensions")


@bp.get("/attribution")
@bp.doc(responses={200: {"description": "An HTML form and, once asked, the answer.", "content": {"text/html": {}}}})
def attribution_page():
    """Ask an attribution question through a form; the answer shows as a waterfall chart."""
    values = {key: value for key, value in query_values(request.args).items() if value not in ("", [])}
    endpoint = values.pop("endpoint", "grouprankdimensions")
    if endpoint not in QUESTIONS:
        endpoint = "grouprankdimensions"
    result, error, status = None, None, 200
    if values:
        try:
            result = explain(endpoint, validated(endpoint, values))
        except ApiError as refused:
            result, error, status = None, {"message": refused.message, "details": refused.detail}, refused.status_code
    return render_page(endpoint, values, result, error, status)
