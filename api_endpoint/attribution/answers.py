"""Answer attribution questions: gather the daily meters of a group, from the warehouse or the caller's rows,
then run the algorithms on them."""

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from api_endpoint import db
from api_endpoint.attribution.schemas import DIMENSIONS, GROUP_FILTERS
from api_endpoint.errors import ApiError
from warehouse.domains.attribution import algorithms
from warehouse.domains.attribution.algorithms import ADDITIVE, ADDITIVE_METRICS, AttributionError

ENDPOINTS = ("singlerankmetrics", "grouprankmetrics", "grouprankdimensions")
ALGORITHMS = {
    "singlerankmetrics": ("decomposition", "normdiff"),
    "grouprankmetrics": ("decomposition", "normdiff"),
    "grouprankdimensions": ("contribution", "adtributor"),
}
# The production columns behind each meter and each dimension.
METER_COLUMNS = {
    "coinInCarded": "coin_in_carded",
    "coinInUncarded": "coin_in_uncarded",
    "handlePullsCarded": "handle_pulls_carded",
    "handlePullsUncarded": "handle_pulls_uncarded",
    "theoWin": "theo_win",
    "actualWin": "actual_win",
    "timeOnDevice": "time_on_device",
    "sessionsCarded": "sessions_carded",
}
DIMENSION_COLUMNS = {"asset": "asset_number", **GROUP_FILTERS}
# The keys that name a dimension in a caller's records: the source file's column names.
RECORD_KEYS = {"asset": "assetNumber", "bank": "bank", "zone": "zone", "denomination": "denomination",
               "gameType": "gameType"}  # fmt: skip
TABLE = "model_production.asset_metrics_daily"

Rows = list[tuple[dt.date, str, str, dict]]  # (gaming day, dimension or "group", value, meters)


def answer(endpoint: str, question: dict) -> dict:
    """Return the answer to a validated question, or raise an ApiError saying why there is none."""
    algorithm = question.get("algorithm") or ALGORITHMS[endpoint][0]
    if algorithm not in ALGORITHMS[endpoint]:
        raise AttributionError(
            "unknown_algorithm",
            "algorithm",
            f"unknown algorithm {algorithm!r} for /{endpoint}; use one of: {', '.join(ALGORITHMS[endpoint])}",
        )
    _check_metric(question["metric_col"], algorithm)
    group = selected_group(endpoint, question)
    target_date = question["date_target"]
    candidates = [target_date - dt.timedelta(weeks=week) for week in range(1, question["baseline_weeks"] + 1)]
    days = {target_date, *candidates}
    if algorithm == "normdiff":
        days |= {target_date - dt.timedelta(days=offset) for offset in range(question["window_days"])}
    dimensions = []
    if endpoint == "grouprankdimensions":
        dimensions = DIMENSIONS if algorithm == "adtributor" else [question["dimension"]]

    if question.get("data") is not None:
        rows = rows_from_records(question["data"], question["date_col"], group, dimensions, days)
    else:
        rows = rows_from_warehouse(group, dimensions, sorted(days))
    daily = group_totals(rows)
    if target_date not in daily:
        raise no_data(question, group, [target_date], "the target day")
    baseline_dates = [day for day in candidates if day in daily]
    if not baseline_dates:
        raise no_data(question, group, candidates, "any baseline day")

    common = {"metric_col": question["metric_col"], "method": question["method"]}
    if endpoint == "grouprankdimensions":
        per_dimension = elements(rows, target_date, baseline_dates)
        if algorithm == "adtributor":
            result = algorithms.explain_dimensions_adtributor(
                {name: per_dimension.get(name, {}) for name in dimensions},
                limit=question.get("limit") or 3,
                min_element_ep=question["min_element_ep"],
                min_total_ep=question["min_total_ep"],
                **common,
            )
        else:
            result = algorithms.explain_dimension(
                per_dimension.get(question["dimension"], {}), limit=question.get("limit") or 10, **common
            )
            result = {**result, "dimension": question["dimension"]}
    else:
        baseline = algorithms.mean_meters([daily[day] for day in baseline_dates])
        result = algorithms.explain_metrics(
            daily[target_date],
            baseline,
            algorithm=algorithm,
            limit=question.get("limit") or 10,
            daily=daily,
            target_date=target_date,
            window_days=question["window_days"],
            **common,
        )
    header = {
        "metric_col": result["metric_col"],
        "date_target": target_date,
        "baseline_dates": baseline_dates,
        "group": {key: str(value) if isinstance(value, Decimal) else value for key, value in group.items()},
    }
    return {**header, **result}


def _check_metric(metric_col: str, algorithm: str) -> None:
    """Refuse a metric the algorithm cannot explain before any data is read."""
    if metric_col not in algorithms.METRICS:
        raise AttributionError(
            "unknown_metric",
            "metric_col",
            f"unknown metric_col {metric_col!r}; use one of: {', '.join(algorithms.METRICS)}",
        )
    if algorithm == "decomposition" and metric_col not in algorithms.IDENTITY_TREE:
        # Let the algorithm say it, with its suggestion, on an empty pair of periods.
        algorithms.explain_metrics({}, {}, metric_col=metric_col)
    if algorithm == "adtributor" and metric_col in algorithms.RATIOS:
        algorithms.explain_dimensions_adtributor({}, metric_col=metric_col)


def selected_group(endpoint: str, question: dict) -> dict:
    """Return what the question selects: {"asset": ...}, the group's filters, or {} for the whole casino."""
    if endpoint == "singlerankmetrics":
        if question.get("asset") is None:
            if question.get("data") is None:
                raise ApiError(
                    422,
                    "invalid_values",
                    "invalid value for asset: /singlerankmetrics needs the asset to explain",
                    {"fields": {"asset": ["Missing data for required field."]}},
                )
            return {}
        return {"asset": question["asset"]}
    group = {name: question[name] for name in GROUP_FILTERS if question.get(name) is not None}
    if question.get("assets"):
        group["assets"] = sorted(set(question["assets"]))
    return group


def rows_from_warehouse(group: dict, dimensions: list[str], days: list[dt.date]) -> Rows:
    """Sum the group's meters per day, and per value of each dimension asked, in one query."""
    conditions = ["gaming_date = any(:days)"]
    parameters: dict = {"days": days}
    for name, value in group.items():
        if name == "assets":
            conditions.append("asset_number = any(:assets)")
        else:
            conditions.append(f"{DIMENSION_COLUMNS[name]} = :{name}")
        parameters[name] = value
    sums = ",\n    ".join(f"sum({column}) as {column}" for column in METER_COLUMNS.values())
    if dimensions:
        columns = [DIMENSION_COLUMNS[name] for name in dimensions]
        labels = "\n        ".join(
            f"when grouping({column}) = 0 then '{name}'" for name, column in zip(dimensions, columns, strict=True)
        )
        values = ", ".join(f"{column}::text" for column in columns)
        # The empty grouping set is the group itself, beside each dimension's values.
        grouping = f"grouping sets ((), {', '.join(f'({column})' for column in columns)})"
        select = (
            f"case\n        {labels}\n        else 'group'\n    end as dimension,\n    coalesce({values}, '') as value"
        )
    else:
        grouping, select = "()", "'group' as dimension,\n    '' as value"
    # Every name in this statement is one of the constants above; every value a request sends is bound.
    query = f"""
select
    gaming_date,
    {select},
    {sums}
from {TABLE}
where {" and ".join(conditions)}
group by gaming_date, {grouping}
"""  # noqa: S608
    rows = db.fetch_all(query, **parameters)
    if not rows:
        require_group_exists(group)
    return [
        (
            row["gaming_date"],
            row["dimension"],
            row["value"],
            {meter: float(row[column]) for meter, column in METER_COLUMNS.items()},
        )
        for row in rows
    ]


def require_group_exists(group: dict) -> None:
    """Raise a 404 naming the asset or the filter that matches nothing at all, on any day."""
    for name, value in group.items():
        column = DIMENSION_COLUMNS.get(name, "asset_number")
        operator = "= any(:value)" if name == "assets" else "= :value"
        exists = db.fetch_one(f"select exists (select 1 from {TABLE} where {column} {operator}) as found", value=value)  # noqa: S608
        if not exists["found"]:
            kind = "asset" if name in ("asset", "assets") else name
            raise ApiError(
                404,
                f"unknown_{'asset' if kind == 'asset' else 'group'}",
                f"no {kind} {value if name != 'assets' else ', '.join(value)} in the published asset metrics",
                {"fields": {name: ["matches no published asset"]}},
            )


def rows_from_records(
    records: list[dict], date_col: str, group: dict, dimensions: list[str], days: Iterable[dt.date]
) -> Rows:
    """Sum the caller's records per day, and per value of each dimension asked, as the warehouse query does."""
    days = set(days)
    totals: dict[tuple, dict] = {}
    errors: dict[str, list[str]] = {}
    for position, record in enumerate(records):
        problem = record_problem(record, date_col, dimensions)
        if problem:
            errors[f"data[{position}]"] = [problem]
            if len(errors) >= 10:
                break
            continue
        day = dt.date.fromisoformat(str(record[date_col])[:10])
        if day not in days or not record_in_group(record, group):
            continue
        meters = {name: float(record[name]) for name in ADDITIVE_METRICS if record.get(name) is not None}
        keys = [("group", "")] + [(name, str(record[RECORD_KEYS[name]])) for name in dimensions]
        for dimension, value in keys:
            bucket = totals.setdefault((day, dimension, value), defaultdict(float))
            for name, number in meters.items():
                bucket[name] += number
    if errors:
        raise ApiError(422, "invalid_values", "invalid value for data: some records cannot be read", {"fields": errors})
    return [(day, dimension, value, dict(meters)) for (day, dimension, value), meters in totals.items()]


def record_problem(record: dict, date_col: str, dimensions: list[str]) -> str | None:
    """Say what is wrong with one caller record, or None."""
    if date_col not in record:
        return f"has no {date_col}"
    try:
        dt.date.fromisoformat(str(record[date_col])[:10])
    except ValueError:
        return f"{date_col} is not a date as YYYY-MM-DD"
    for name in ADDITIVE_METRICS:
        value = record.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            return f"{name} must be a finite number"
        if name in ADDITIVE and name not in ("theoWin", "actualWin") and value < 0:
            return f"{name} must not be negative"
    for name in dimensions:
        if record.get(RECORD_KEYS[name]) is None:
            return f"has no {RECORD_KEYS[name]}, which dimension={name} needs"
    return None


def record_in_group(record: dict, group: dict) -> bool:
    for name, wanted in group.items():
        if name == "assets":
            if str(record.get("assetNumber")) not in wanted:
                return False
        elif name == "denomination":
            try:
                if Decimal(str(record.get("denomination"))) != wanted:
                    return False
            except ArithmeticError:
                return False
        elif str(record.get(RECORD_KEYS.get(name, "assetNumber"))) != str(wanted):
            return False
    return True


def group_totals(rows: Rows) -> dict[dt.date, dict]:
    """Return the group's meters per day."""
    return {day: meters for day, dimension, _, meters in rows if dimension == "group"}


def elements(rows: Rows, target_date: dt.date, baseline_dates: list[dt.date]) -> dict[str, dict]:
    """Return {dimension: {value: (target meters, baseline meters)}}.

    A value's baseline is its sum over the baseline days divided by their number, so that the values add up
    to the group's baseline mean: a machine new since the baseline counts 0 there, not its own mean.
    """
    baseline_days = set(baseline_dates)
    target: dict[str, dict] = defaultdict(dict)
    baseline_sums: dict[str, dict] = defaultdict(lambda: defaultdict(lambda: defaultdict(float)))
    for day, dimension, value, meters in rows:
        if dimension == "group":
            continue
        if day == target_date:
            target[dimension][value] = meters
        elif day in baseline_days:
            for name, number in meters.items():
                baseline_sums[dimension][value][name] += number
    result = {}
    for dimension in set(target) | set(baseline_sums):
        values = set(target[dimension]) | set(baseline_sums[dimension])
        result[dimension] = {
            value: (
                target[dimension].get(value),
                {name: total / len(baseline_dates) for name, total in baseline_sums[dimension][value].items()}
                if value in baseline_sums[dimension]
                else None,
            )
            for value in sorted(values)
        }
    return result


def no_data(question: dict, group: dict, days: list[dt.date], which: str) -> ApiError:
    selected = ", ".join(f"{name}={value}" for name, value in group.items()) or "the whole casino"
    source = "the records sent" if question.get("data") is not None else "the published asset metrics"
    return ApiError(
        404,
        "no_target_data" if which == "the target day" else "no_baseline_data",
        f"no data for {selected} on {which} ({', '.join(day.isoformat() for day in days)}) in {source}",
        {"group": {name: str(value) for name, value in group.items()}, "dates": [day.isoformat() for day in days]},
    )
