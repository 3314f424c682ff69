"""Answer attribution questions: gather the daily meters of a group, from the warehouse or the caller's rows,
then run the algorithms on them."""

import datetime as dt
import math
import re
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from sqlalchemy import text

from api_endpoint import db
from api_endpoint.attribution.schemas import DIMENSIONS, GROUP_FILTERS
from api_endpoint.errors import ApiError
from warehouse.domains.attribution import algorithms
from warehouse.domains.attribution.algorithms import ADDITIVE, ADDITIVE_METRICS, SUMS, AttributionError
from warehouse.domains.attribution.contract import SOURCE_COLUMNS

ALGORITHMS = {
    "singlerankmetrics": ("decomposition", "normdiff"),
    "grouprankmetrics": ("decomposition", "normdiff"),
    "grouprankdimensions": ("contribution", "adtributor"),
}
# The production columns behind each meter (the source's names, in snake case) and each dimension.
METER_COLUMNS = {meter: SOURCE_COLUMNS[meter] for meter in ADDITIVE}
DIMENSION_COLUMNS = {"asset": "asset_number", **GROUP_FILTERS}
# Every additive metric's column, the totals included.
SUM_COLUMNS = {**METER_COLUMNS, "coinIn": "coin_in", "handlePulls": "handle_pulls"}
# The keys that name a dimension in a caller's records: the source file's column names.
RECORD_KEYS = {"asset": "assetNumber", **{name: name for name in GROUP_FILTERS}}
TABLE = "model_production.asset_metrics_daily"
# The largest meter staging accepts (sql/model_staging/attribution); caller data is held to the same bound.
METER_BOUND = 1e15
ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")

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
    algorithms.check_metric(question["metric_col"], algorithm)
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
        daily, sums = from_rows(rows, target_date)
    elif dimensions:
        # Adtributor only ever picks values whose explanatory power passes min_element_ep: the database keeps
        # just those, and the group's totals, instead of sending every machine.
        min_element_ep = question["min_element_ep"] if algorithm == "adtributor" else None
        daily, sums = dimensions_from_warehouse(
            group, dimensions, question["metric_col"], target_date, sorted(days), min_element_ep
        )
    else:
        daily, sums = daily_from_warehouse(group, sorted(days)), {}
    if target_date not in daily:
        raise no_data(question, group, [target_date], "the target day")
    baseline_dates = [day for day in candidates if day in daily]
    if not baseline_dates:
        raise no_data(question, group, candidates, "any baseline day")

    common = {"metric_col": question["metric_col"], "method": question["method"]}
    if endpoint == "grouprankdimensions":
        per_dimension = baseline_means(sums, len(baseline_dates))
        if algorithm == "adtributor":
            totals = None
            if question.get("data") is None:
                metric = question["metric_col"]
                totals = (
                    daily[target_date][metric],
                    math.fsum(daily[day][metric] for day in baseline_dates) / len(baseline_dates),
                )
            result = algorithms.explain_dimensions_adtributor(
                {name: per_dimension.get(name, {}) for name in dimensions},
                limit=question.get("limit") or 3,
                min_element_ep=question["min_element_ep"],
                min_total_ep=question["min_total_ep"],
                totals=totals,
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


def group_conditions(group: dict, days: list[dt.date]) -> tuple[str, dict]:
    """Return the where clause selecting the group's rows on `days`, and its bound parameters."""
    conditions = ["gaming_date = any(:days)"]
    parameters: dict = {"days": days}
    for name, value in group.items():
        if name == "assets":
            conditions.append("asset_number = any(:assets)")
        else:
            conditions.append(f"{DIMENSION_COLUMNS[name]} = :{name}")
        parameters[name] = value
    return " and ".join(conditions), parameters


def daily_from_warehouse(group: dict, days: list[dt.date]) -> dict[dt.date, dict]:
    """Return the group's meters summed per day, for the days it has data."""
    where, parameters = group_conditions(group, days)
    sums = ", ".join(f"sum({column})" for column in METER_COLUMNS.values())
    # Every name in this statement is one of the constants above; every value a request sends is bound.
    query = f"select gaming_date, {sums} from {TABLE} where {where} group by gaming_date"  # noqa: S608
    rows = db.get_db().execute(text(query), parameters).all()
    if not rows:
        require_group_exists(group)
    return {row[0]: dict(zip(METER_COLUMNS, map(float, row[1:]), strict=True)) for row in rows}


def dimensions_from_warehouse(
    group: dict,
    dimensions: list[str],
    metric_col: str,
    target_date: dt.date,
    days: list[dt.date],
    min_element_ep: float | None = None,
) -> tuple[dict[dt.date, dict], dict]:
    """Return the group's meters on each day it has data, and per value of each dimension its target and
    baseline sums.

    One query, summing only the meters the metric needs: the whole casino's machines on a target and a dozen
    baseline days come back as one row per machine, not one per machine and day. With `min_element_ep` (an
    additive metric), only the values whose explanatory power exceeds it come back.
    """
    where, parameters = group_conditions(group, days)
    parameters["target_date"] = target_date
    meter_names = algorithms.RATIOS.get(metric_col, (metric_col,))
    columns = [DIMENSION_COLUMNS[name] for name in dimensions]
    labels = " ".join(
        f"when grouping({column}) = 0 then '{name}'" for name, column in zip(dimensions, columns, strict=True)
    )
    # Summed as double precision: the algorithms work in floats anyway, and numeric additions were most of the
    # query's time over a whole casino.
    sums = ", ".join(
        f"sum({column}::float8) filter (where gaming_date = :target_date), "
        f"sum({column}::float8) filter (where gaming_date <> :target_date)"
        for column in (SUM_COLUMNS[name] for name in meter_names)
    )
    # The gaming_date grouping set gives the group's meters each day, beside each dimension's values.
    query = f"""
select
    case when grouping(gaming_date) = 0 then 'day' {labels} end as dimension,
    coalesce(gaming_date::text, {", ".join(f"{column}::text" for column in columns)}) as value,
    {sums}
from {TABLE}
where {where}
group by grouping sets ((gaming_date), {", ".join(f"({column})" for column in columns)})
"""  # noqa: S608 - every name is one of the constants above; every value a request sends is bound
    if min_element_ep is not None:
        parameters["min_element_ep"] = min_element_ep - 1e-9  # the algorithm makes the exact cut
        query = CANDIDATES_ONLY.format(sums=query)
    rows = db.get_db().execute(text(query), parameters).all()
    if not rows:
        require_group_exists(group)
    daily: dict[dt.date, dict] = {}
    sums_by_value: dict[str, dict] = defaultdict(dict)
    for dimension, value, *numbers in rows:
        if dimension == "day":
            # A day's row holds its sums as the target (that day) or as a baseline day (the others).
            day = dt.date.fromisoformat(value)
            daily[day] = {
                name: float(sum_)
                for name, sum_ in zip(meter_names, numbers[0::2] if day == target_date else numbers[1::2], strict=True)
            }
            continue
        # Each meter comes as a pair: its sum on the target day, then over the other days (null: no rows there).
        target = {name: float(sum_) for name, sum_ in zip(meter_names, numbers[0::2], strict=True) if sum_ is not None}
        baseline = {
            name: float(sum_) for name, sum_ in zip(meter_names, numbers[1::2], strict=True) if sum_ is not None
        }
        sums_by_value[dimension][value] = (target or None, baseline or None)
    return daily, sums_by_value


# Keep the days, and the values whose explanatory power (A_e - F_e) / (A - F) can pass min_element_ep.
CANDIDATES_ONLY = """
with sums (dimension, value, target_sum, baseline_sum) as ({sums}),

days as (
    select
        sum(target_sum) as target_total,
        sum(baseline_sum) / nullif(count(baseline_sum), 0) as baseline_total,
        count(baseline_sum) as baseline_days
    from sums
    where dimension = 'day'
)

select sums.*
from sums, days
where sums.dimension = 'day'
    or (coalesce(target_sum, 0) - coalesce(baseline_sum, 0) / nullif(baseline_days, 0))
        / nullif(target_total - baseline_total, 0) > :min_element_ep
"""


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
    day = record[date_col]
    if not isinstance(day, str) or not ISO_DAY.fullmatch(day[:10]):
        return f"{date_col} is not a date as YYYY-MM-DD"
    try:
        dt.date.fromisoformat(day[:10])
    except ValueError:
        return f"{date_col} is not a date as YYYY-MM-DD"
    for name in ADDITIVE_METRICS:
        value = record.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f"{name} must be a number"
        # Bounded first: a JSON integer of hundreds of digits has no float to test for finiteness.
        if not -METER_BOUND < value < METER_BOUND or not math.isfinite(value):
            return f"{name} must be a number smaller than {METER_BOUND:.0e} in size, as the warehouse's meters are"
        if name not in ("theoWin", "actualWin") and value < 0:
            return f"{name} must not be negative"
    for total, parts in SUMS.items():
        given = [record.get(name) for name in (total, *parts)]
        if None not in given and abs(given[0] - given[1] - given[2]) >= 0.005:
            return f"{total} must equal {' + '.join(parts)}, to the cent"
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


def from_rows(rows: Rows, target_date: dt.date) -> tuple[dict[dt.date, dict], dict]:
    """Return what the warehouse queries return, from per-day rows: the group's meters per day, and per value of
    each dimension its meters on the target day and summed over the other days."""
    daily = {day: meters for day, dimension, _, meters in rows if dimension == "group"}
    target: dict[str, dict] = defaultdict(dict)
    baseline: dict[str, dict] = defaultdict(lambda: defaultdict(lambda: defaultdict(float)))
    for day, dimension, value, meters in rows:
        if dimension == "group":
            continue
        if day == target_date:
            target[dimension][value] = meters
        else:
            for name, number in meters.items():
                baseline[dimension][value][name] += number
    sums = {
        dimension: {
            value: (target[dimension].get(value), dict(baseline[dimension][value]) or None)
            for value in set(target[dimension]) | set(baseline[dimension])
        }
        for dimension in set(target) | set(baseline)
    }
    return daily, sums


def baseline_means(sums: dict, baseline_days: int) -> dict[str, dict]:
    """Return {dimension: {value: (target meters, baseline meters)}}, the baseline sums divided by the days.

    A value's baseline is its sum over the baseline days divided by their number, so that the values add up
    to the group's baseline mean: a machine new since the baseline counts 0 there, not its own mean.
    """
    return {
        dimension: {
            value: (target, {name: total / baseline_days for name, total in baseline.items()} if baseline else None)
            for value, (target, baseline) in sorted(values.items())
        }
        for dimension, values in sums.items()
    }


def no_data(question: dict, group: dict, days: list[dt.date], which: str) -> ApiError:
    selected = ", ".join(f"{name}={value}" for name, value in group.items()) or "the whole casino"
    source = "the records sent" if question.get("data") is not None else "the published asset metrics"
    return ApiError(
        404,
        "no_target_data" if which == "the target day" else "no_baseline_data",
        f"no data for {selected} on {which} ({', '.join(day.isoformat() for day in days)}) in {source}",
        {"group": {name: str(value) for name, value in group.items()}, "dates": [day.isoformat() for day in days]},
    )
