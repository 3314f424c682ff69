"""Explain why a casino metric changed between a target day and its baseline: pure functions over daily meters."""

import math
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, timedelta
from fractions import Fraction

ADDITIVE = (
    "coinInCarded",
    "coinInUncarded",
    "handlePullsCarded",
    "handlePullsUncarded",
    "theoWin",
    "actualWin",
    "timeOnDevice",
    "sessionsCarded",
)
# Totals that callers may send on their own when they have no carded/uncarded split.
SUMS = {
    "coinIn": ("coinInCarded", "coinInUncarded"),
    "handlePulls": ("handlePullsCarded", "handlePullsUncarded"),
}
ADDITIVE_METRICS = ADDITIVE + tuple(SUMS)
RATIOS = {
    "averageBet": ("coinIn", "handlePulls"),
    "averageBetCarded": ("coinInCarded", "handlePullsCarded"),
    "averageBetUncarded": ("coinInUncarded", "handlePullsUncarded"),
}
METRICS = ADDITIVE_METRICS + tuple(RATIOS)

# The identities the decomposition follows: a "sum" node is the sum of its children, a "product" node is
# games × average bet.
IDENTITY_TREE = {
    "coinIn": ("sum", ("coinInCarded", "coinInUncarded")),
    "coinInCarded": ("product", ("handlePullsCarded", "averageBetCarded")),
    "coinInUncarded": ("product", ("handlePullsUncarded", "averageBetUncarded")),
    "handlePulls": ("sum", ("handlePullsCarded", "handlePullsUncarded")),
}
METHODS = ("bestranks", "worstranks")
METRIC_ALGORITHMS = ("decomposition", "normdiff")
DIMENSION_ALGORITHMS = ("contribution",)

Meters = Mapping[str, float]


class AttributionError(ValueError):
    """A question the algorithms cannot answer: `code` says why, `field` names the request field at fault."""

    def __init__(self, code: str, field: str, message: str):
        super().__init__(message)
        self.code = code
        self.field = field
        self.message = message


def derive(meters: Meters | None) -> dict[str, float | None]:
    """Return every metric the meters allow, in METRICS order; a ratio over zero games is None.

    Totals are derived from their carded and uncarded parts when both are present, and taken as given
    otherwise; a metric whose inputs are absent is left out.
    """
    return _derive(meters, float)


def _derive(meters: Meters | None, number: Callable) -> dict:
    """Derive in a chosen number type: float, or `_exact` where parts must add up to their whole exactly."""
    meters = meters or {}
    values = {name: number(meters[name]) for name in ADDITIVE_METRICS if meters.get(name) is not None}
    for total, parts in SUMS.items():
        if all(part in values for part in parts):
            values[total] = values[parts[0]] + values[parts[1]]
    for ratio, (numerator, denominator) in RATIOS.items():
        if numerator in values and denominator in values:
            values[ratio] = values[numerator] / values[denominator] if values[denominator] else None
    return {name: values[name] for name in METRICS if name in values}


def mean_meters(days: Sequence[Meters]) -> dict[str, float]:
    """Return the mean of each additive metric over the days that carry it (the multi-week baseline).

    Only additive metrics are averaged: `derive` then takes ratios from these means, never a mean of ratios.
    """
    per_day = [derive(day) for day in days]
    means = {}
    for name in ADDITIVE_METRICS:
        values = [day[name] for day in per_day if name in day]
        if values:
            means[name] = math.fsum(values) / len(values)
    return means


def explain_metrics(
    target: Meters | None,
    baseline: Meters | None,
    *,
    metric_col: str = "coinIn",
    algorithm: str = "decomposition",
    method: str = "bestranks",
    limit: int | None = 10,
    daily: Mapping[date | str, Meters] | None = None,
    target_date: date | str | None = None,
    baseline_dates: Sequence[date | str] | None = None,
    window_days: int = 28,
) -> dict:
    """Rank the metrics that explain the change of `metric_col` for one asset or one group.

    `target` and `baseline` are the entity's meters (the baseline as `mean_meters` of its days). Either may be
    None when `daily` holds the days: the target is then `daily[target_date]`, the baseline the mean of
    `baseline_dates`. `daily` ({date: meters} over at least the window) is needed by normdiff only.

    decomposition returns, e.g. for coinIn 400 -> 420:
        {"metric_col": "coinIn", "algorithm": "decomposition", "method": "bestranks", "target_value": 420.0,
         "baseline_value": 400.0, "change": 20.0, "relative_change": 0.05, "explained_share": 2.875,
         "ranks": [{"metric": "averageBetCarded", "level": 2, "parent": "coinInCarded", "target_value": 3.0,
                    "baseline_value": 2.5, "contribution": 57.5, "share": 2.875}, ...],
         "nodes": [{"metric": "coinInCarded", "level": 1, "parent": "coinIn", ...}, ...]}
    where ranks are the tree's leaves and nodes every node below metric_col, depth first.
    normdiff returns the same keys without "nodes", explained_share None and ranks like
        {"metric": "averageBetCarded", "target_value": 5.0, "baseline_value": 2.0, "score": 1.09}.
    """
    _check_choice(algorithm, METRIC_ALGORITHMS, "algorithm")
    check_metric(metric_col)
    _check_choice(method, METHODS, "method")
    _check_limit(limit)
    target, baseline = _resolve_periods(target, baseline, daily, target_date, baseline_dates)
    if algorithm == "decomposition":
        return _decomposition(target, baseline, metric_col, method, limit)
    return _normdiff(target, baseline, metric_col, method, limit, daily, target_date, window_days)


def explain_dimension(
    elements: Mapping[object, tuple[Meters | None, Meters | None]],
    *,
    metric_col: str = "coinIn",
    algorithm: str = "contribution",
    method: str = "bestranks",
    limit: int | None = None,
) -> dict:
    """Rank the values of one dimension (assets, banks, zones...) by their contribution to the group's change.

    `elements` is {value: (target_meters, baseline_meters)}; a value absent on one side has None or {} there,
    and its missing meters count as 0. Returns, e.g. for coinIn 500 -> 200:
        {"metric_col": "coinIn", "algorithm": "contribution", "method": "bestranks", "target_value": 200.0,
         "baseline_value": 500.0, "change": -300.0, "relative_change": -0.6, "explained_share": 1.33,
         "ranks": [{"value": "B1", "target_value": 0.0, "baseline_value": 400.0, "contribution": -400.0,
                    "share": 1.33}, ...]}
    For a ratio metric each value's target/baseline_value is its own ratio (None without games) and its rank
    also carries "rate_effect" and "mix_effect", which add up to its contribution.
    """
    _check_choice(algorithm, DIMENSION_ALGORITHMS, "algorithm")
    check_metric(metric_col)
    _check_choice(method, METHODS, "method")
    _check_limit(limit)
    if metric_col in RATIOS:
        rows, target_value, baseline_value = _ratio_contributions(elements, metric_col)
    else:
        rows, target_value, baseline_value = _additive_contributions(elements, metric_col)
    summary = _summary(metric_col, "contribution", method, target_value, baseline_value)
    for row in rows:
        row["share"] = _share(row["contribution"], summary["change"])
    ranks = _cut(_ordered(rows, "contribution", _descending(summary["change"], method)), limit)
    return {**summary, "explained_share": _sum_of_shares(ranks), "ranks": ranks}


def explain_dimensions_adtributor(
    dimensions: Mapping[str, Mapping[object, tuple[Meters | None, Meters | None]]],
    *,
    metric_col: str = "coinIn",
    method: str = "bestranks",
    limit: int | None = 3,
    min_element_ep: float = 0.1,
    min_total_ep: float = 0.67,
    totals: tuple[float, float] | None = None,
) -> dict:
    """Find the dimensions whose few values explain the group's change, as Adtributor (NSDI 2014) does.

    `dimensions` is {dimension: {value: (target_meters, baseline_meters)}}, each dimension a partition of the
    same group. `limit` is the number of dimensions reported. Returns, e.g.:
        {"metric_col": "coinIn", "algorithm": "adtributor", "method": "bestranks", "target_value": 1200.0,
         "baseline_value": 1000.0, "change": 200.0, "relative_change": 0.2, "explained_share": 1.0,
         "ranks": [{"dimension": "bank", "value": "B2", "ep": 1.0, "surprise": 0.0076, "contribution": 200.0,
                    "target_value": 500.0, "baseline_value": 300.0, "share": 1.0}, ...],
         "dimensions": [{"dimension": "bank", "surprise": 0.0076, "explained_share": 1.0}, ...,
                        {"dimension": "denomination", "surprise": None, "explained_share": None}]}
    "dimensions" lists every dimension in rank order, those without an explanatory set last with None.

    `totals`, the group's (target, baseline) values, lets `dimensions` hold only the values that can join a set
    (explanatory power above min_element_ep), as a database can select them; by default the values of each
    dimension are all of them, and add up to the group.
    """
    check_metric(metric_col, "adtributor")
    _check_choice(method, METHODS, "method")
    _check_limit(limit)
    per_dimension = {name: _additive_contributions(elements, metric_col) for name, elements in dimensions.items()}
    if totals is not None:
        per_dimension = {name: (rows, *totals) for name, (rows, _, _) in per_dimension.items()}
    # Every dimension partitions the same group, so any one of them gives the group's totals.
    target_value, baseline_value = totals or next(
        ((group_target, group_baseline) for _, group_target, group_baseline in per_dimension.values()), (0.0, 0.0)
    )
    summary = _summary(metric_col, "adtributor", method, target_value, baseline_value)
    if not summary["change"]:
        return {**summary, "explained_share": None, "ranks": [], "dimensions": []}

    explained = []
    unexplained = []
    for name, (rows, dimension_target, dimension_baseline) in per_dimension.items():
        chosen = _explanatory_set(
            _score_elements(name, rows, dimension_target, dimension_baseline, summary["change"]),
            min_element_ep,
            min_total_ep,
        )
        if chosen is None:
            unexplained.append({"dimension": name, "surprise": None, "explained_share": None, "values": []})
        else:
            total_surprise = math.fsum(row["surprise"] for row in chosen)
            total_ep = math.fsum(row["ep"] for row in chosen)
            explained.append(
                {"dimension": name, "surprise": total_surprise, "explained_share": total_ep, "values": chosen}
            )
    explained = _ordered(explained, "surprise", descending=method == "bestranks")
    reported = _cut(explained, limit)
    return {
        **summary,
        "explained_share": reported[0]["explained_share"] if reported else None,
        "ranks": [row for dimension in reported for row in dimension["values"]],
        "dimensions": [
            {key: dimension[key] for key in ("dimension", "surprise", "explained_share")}
            for dimension in explained + unexplained
        ],
    }


def _decomposition(target: Meters, baseline: Meters, metric_col: str, method: str, limit: int | None) -> dict:
    check_metric(metric_col, "decomposition")
    # Exact arithmetic: with floats, the rounding of each average bet, scaled by thousands of games, can outgrow
    # a small day-over-day change and break the promise that every level adds up to it.
    target_values, baseline_values = _derive(target, _exact), _derive(baseline, _exact)
    missing = [name for name in _tree_metrics(metric_col) if name not in target_values or name not in baseline_values]
    if missing:
        raise AttributionError(
            "missing_meters",
            "data",
            f"decomposing {metric_col} needs {', '.join(missing)} on the target and baseline days; "
            "send the carded and uncarded meters, or use algorithm=normdiff",
        )
    summary = _summary(metric_col, "decomposition", method, target_values[metric_col], baseline_values[metric_col])
    nodes: list[dict] = []
    total_change = target_values[metric_col] - baseline_values[metric_col]
    _walk_tree(metric_col, 1, target_values, baseline_values, total_change, nodes)
    leaves = [dict(node) for node in nodes if node["metric"] not in IDENTITY_TREE]
    ranks = _cut(_ordered(leaves, "contribution", _descending(summary["change"], method)), limit)
    return {**summary, "explained_share": _sum_of_shares(ranks), "ranks": ranks, "nodes": nodes}


def _tree_metrics(metric: str) -> list[str]:
    """Return the metric and every metric below it in the identity tree."""
    if metric not in IDENTITY_TREE:
        return [metric]
    return [metric] + [name for child in IDENTITY_TREE[metric][1] for name in _tree_metrics(child)]


def _walk_tree(
    parent: str,
    level: int,
    target_values: Mapping[str, Fraction | None],
    baseline_values: Mapping[str, Fraction | None],
    total_change: Fraction,
    nodes: list[dict],
) -> None:
    """Append the children of `parent` to `nodes`, depth first, each with its part of the change."""
    for child, contribution in _split(parent, target_values, baseline_values).items():
        nodes.append(
            {
                "metric": child,
                "level": level,
                "parent": parent,
                "target_value": _as_float(target_values[child]),
                "baseline_value": _as_float(baseline_values[child]),
                "contribution": float(contribution),
                "share": _share(contribution, total_change),
            }
        )
        if child in IDENTITY_TREE:
            _walk_tree(child, level + 1, target_values, baseline_values, total_change, nodes)


def _split(
    node: str, target_values: Mapping[str, Fraction | None], baseline_values: Mapping[str, Fraction | None]
) -> dict[str, Fraction]:
    """Split a node's change among its children: a sum by their own changes, a product by the midpoint rule."""
    kind, children = IDENTITY_TREE[node]
    if kind == "sum":
        return {child: target_values[child] - baseline_values[child] for child in children}
    games, average_bet = children
    games_before, games_after = baseline_values[games], target_values[games]
    bet_before, bet_after = _fill_undefined(baseline_values[average_bet], target_values[average_bet])
    # Midpoint (Shapley) weights make the two parts add up to the product's change exactly, even at zero games.
    return {
        games: (games_after - games_before) * (bet_before + bet_after) / 2,
        average_bet: (bet_after - bet_before) * (games_before + games_after) / 2,
    }


def _normdiff(
    target: Meters,
    baseline: Meters,
    metric_col: str,
    method: str,
    limit: int | None,
    daily: Mapping[date | str, Meters] | None,
    target_date: date | str | None,
    window_days: int,
) -> dict:
    if isinstance(window_days, bool) or not isinstance(window_days, int) or window_days < 1:
        raise AttributionError("invalid_window_days", "window_days", "window_days must be a whole number ≥ 1")
    if daily is None or (target_date is None and not daily):
        raise AttributionError(
            "missing_daily",
            "data",
            "normdiff needs the daily meters of the window that ends on the target day",
        )
    days = {_as_date(day): meters for day, meters in daily.items()}
    last_day = _as_date(target_date) if target_date is not None else max(days)
    first_day = last_day - timedelta(days=window_days - 1)
    window = [derive(meters) for day, meters in days.items() if first_day <= day <= last_day]
    if last_day not in days:
        # The window includes the target day even when the series handed in stops short of it.
        window.append(derive(target))

    target_values, baseline_values = derive(target), derive(baseline)
    _require_metric(metric_col, target_values, baseline_values)
    summary = _summary(metric_col, "normdiff", method, target_values[metric_col], baseline_values[metric_col])
    ranks = []
    for metric in METRICS:
        if metric == metric_col:
            continue
        values = [day[metric] for day in window if day.get(metric) is not None]
        window_mean = math.fsum(values) / len(values) if values else 0.0
        target_value, baseline_value = target_values.get(metric), baseline_values.get(metric)
        score = None
        if window_mean and target_value is not None and baseline_value is not None:
            score = target_value / window_mean - baseline_value / window_mean
        ranks.append({"metric": metric, "target_value": target_value, "baseline_value": baseline_value, "score": score})
    ranks = _cut(_ordered(ranks, "score", _descending(summary["change"], method)), limit)
    return {**summary, "explained_share": None, "ranks": ranks}


def _additive_contributions(
    elements: Mapping[object, tuple[Meters | None, Meters | None]], metric_col: str
) -> tuple[list[dict], float, float]:
    """Return each value's own change of an additive metric, and the group's target and baseline totals."""
    rows = []
    for value, (target_meters, baseline_meters) in elements.items():
        target_value = _additive_value(target_meters, metric_col)
        baseline_value = _additive_value(baseline_meters, metric_col)
        rows.append(
            {
                "value": value,
                "target_value": target_value,
                "baseline_value": baseline_value,
                "contribution": target_value - baseline_value,
            }
        )
    target_total = math.fsum(row["target_value"] for row in rows)
    baseline_total = math.fsum(row["baseline_value"] for row in rows)
    return rows, target_total, baseline_total


def _ratio_contributions(
    elements: Mapping[object, tuple[Meters | None, Meters | None]], metric_col: str
) -> tuple[list[dict], Fraction | None, Fraction | None]:
    """Split the group's ratio change into each value's rate effect w̄·Δr plus mix effect r̄·Δw.

    Computed exactly, as the decomposition is, so that the contributions add up to the group's change.
    """
    numerator, denominator = RATIOS[metric_col]
    parts = {
        value: (
            _additive_value(target_meters, numerator, _exact),
            _additive_value(target_meters, denominator, _exact),
            _additive_value(baseline_meters, numerator, _exact),
            _additive_value(baseline_meters, denominator, _exact),
        )
        for value, (target_meters, baseline_meters) in elements.items()
    }
    target_numerator = sum(part[0] for part in parts.values())
    target_denominator = sum(part[1] for part in parts.values())
    baseline_numerator = sum(part[2] for part in parts.values())
    baseline_denominator = sum(part[3] for part in parts.values())
    group_target = target_numerator / target_denominator if target_denominator else None
    group_baseline = baseline_numerator / baseline_denominator if baseline_denominator else None

    rows = []
    for value, (numerator_after, games_after, numerator_before, games_before) in parts.items():
        rate_after = numerator_after / games_after if games_after else None
        rate_before = numerator_before / games_before if games_before else None
        row = {"value": value, "target_value": _as_float(rate_after), "baseline_value": _as_float(rate_before)}
        if group_target is None or group_baseline is None:
            # A group without games on one side has no ratio there, so there is no change to split.
            row.update(contribution=None, rate_effect=None, mix_effect=None)
        else:
            weight_after = games_after / target_denominator
            weight_before = games_before / baseline_denominator
            filled_before, filled_after = _fill_undefined(rate_before, rate_after)
            rate_effect = (weight_before + weight_after) / 2 * (filled_after - filled_before)
            mix_effect = (filled_before + filled_after) / 2 * (weight_after - weight_before)
            row.update(
                contribution=float(rate_effect + mix_effect),
                rate_effect=float(rate_effect),
                mix_effect=float(mix_effect),
            )
        rows.append(row)
    return rows, group_target, group_baseline


def _score_elements(
    dimension: str, rows: list[dict], target_total: float, baseline_total: float, group_change: float
) -> list[dict]:
    """Return each value of a dimension with its explanatory power (EP) and surprise."""
    dimension_change = target_total - baseline_total
    scored = []
    for row in rows:
        baseline_share = row["baseline_value"] / baseline_total if baseline_total else 0.0
        target_share = row["target_value"] / target_total if target_total else 0.0
        scored.append(
            {
                "dimension": dimension,
                "value": row["value"],
                "ep": row["contribution"] / dimension_change if dimension_change else 0.0,
                "surprise": _surprise(baseline_share, target_share),
                "contribution": row["contribution"],
                "target_value": row["target_value"],
                "baseline_value": row["baseline_value"],
                "share": _share(row["contribution"], group_change),
            }
        )
    return scored


def _surprise(baseline_share: float, target_share: float) -> float:
    """Jensen-Shannon divergence between a value's baseline share p and target share q."""
    return 0.5 * (_divergence_term(baseline_share, target_share) + _divergence_term(target_share, baseline_share))


def _divergence_term(share: float, other_share: float) -> float:
    # A zero share counts 0 (the limit of x·log x); so does a negative one (actualWin can be negative),
    # which has no logarithm.
    if share <= 0 or share + other_share <= 0:
        return 0.0
    return share * math.log(2 * share / (share + other_share))


def _explanatory_set(rows: list[dict], min_element_ep: float, min_total_ep: float) -> list[dict] | None:
    """Take values by descending surprise, keeping those with EP above min_element_ep, until EP reaches min_total_ep.

    Returns None when the dimension never gets there.
    """
    chosen = []
    explained = 0.0
    for row in _ordered(rows, "surprise", descending=True):
        if row["ep"] > min_element_ep:
            chosen.append(row)
            explained += row["ep"]
            if explained >= min_total_ep:
                return chosen
    return None


def _additive_value(meters: Meters | None, metric: str, number: Callable = float) -> float | Fraction:
    """Return an additive metric as `derive` would, and 0 where it is absent."""
    meters = meters or {}
    parts = SUMS.get(metric)
    if parts:
        first, second = meters.get(parts[0]), meters.get(parts[1])
        if first is not None and second is not None:
            return number(first) + number(second)
    value = meters.get(metric)
    return number(0) if value is None else number(value)


def _exact(value: float) -> Fraction:
    """The exact value of a meter as the float it arrives as, so that sums of contributions carry no rounding."""
    return Fraction(float(value))


def _as_float(value: float | Fraction | None) -> float | None:
    return None if value is None else float(value)


def _fill_undefined(before: float | None, after: float | None) -> tuple[float, float]:
    """Give a ratio undefined in one period (no games) the other period's value; undefined in both: 0."""
    if before is None and after is None:
        return 0, 0
    if before is None:
        return after, after
    if after is None:
        return before, before
    return before, after


def _summary(
    metric_col: str,
    algorithm: str,
    method: str,
    target_value: float | Fraction | None,
    baseline_value: float | Fraction | None,
) -> dict:
    change = None if target_value is None or baseline_value is None else target_value - baseline_value
    return {
        "metric_col": metric_col,
        "algorithm": algorithm,
        "method": method,
        "target_value": _as_float(target_value),
        "baseline_value": _as_float(baseline_value),
        "change": _as_float(change),
        "relative_change": _as_float(change / baseline_value) if change is not None and baseline_value else None,
    }


def _share(contribution: float | Fraction | None, change: float | Fraction | None) -> float | None:
    if contribution is None or not change:
        return None
    return float(contribution / change)


def _sum_of_shares(ranks: list[dict]) -> float | None:
    shares = [rank["share"] for rank in ranks]
    if not shares or any(share is None for share in shares):
        return None
    return math.fsum(shares)


def _descending(change: float | None, method: str) -> bool:
    """Whether the best ranks are the highest: yes when the metric rose (or did not move), for bestranks."""
    rose = change is None or change >= 0
    return rose if method == "bestranks" else not rose


def _ordered(rows: list[dict], key: str, descending: bool) -> list[dict]:
    """Sort rows by `key`, keeping ties in their given order and rows without a value last."""
    valued = [row for row in rows if row[key] is not None]
    unvalued = [row for row in rows if row[key] is None]
    return sorted(valued, key=lambda row: row[key], reverse=descending) + unvalued


def _cut(rows: list, limit: int | None) -> list:
    return rows if limit is None else rows[:limit]


def _resolve_periods(
    target: Meters | None,
    baseline: Meters | None,
    daily: Mapping[date | str, Meters] | None,
    target_date: date | str | None,
    baseline_dates: Sequence[date | str] | None,
) -> tuple[Meters, Meters]:
    """Take the target and baseline meters as given, or from the daily series when they are None."""
    days = {_as_date(day): meters for day, meters in (daily or {}).items()}
    if target is None:
        if target_date is None or _as_date(target_date) not in days:
            raise AttributionError("missing_daily", "data", "no meters for the target day")
        target = days[_as_date(target_date)]
    if baseline is None:
        baseline_days = [days[_as_date(day)] for day in baseline_dates or () if _as_date(day) in days]
        if not baseline_days:
            raise AttributionError("missing_daily", "data", "no meters for any baseline day")
        baseline = mean_meters(baseline_days)
    return target, baseline


def _require_metric(metric_col: str, target_values: Mapping, baseline_values: Mapping) -> None:
    if metric_col not in target_values or metric_col not in baseline_values:
        needed = RATIOS.get(metric_col) or SUMS.get(metric_col) or (metric_col,)
        raise AttributionError(
            "missing_meters",
            "data",
            f"{metric_col} cannot be computed: the target and baseline days need {', '.join(needed)}",
        )


def _as_date(day: date | str) -> date:
    if isinstance(day, datetime):
        return day.date()
    if isinstance(day, date):
        return day
    return date.fromisoformat(day)


def check_metric(metric_col: str, algorithm: str | None = None) -> None:
    """Refuse a metric that does not exist, or that `algorithm` cannot explain, before any data is read."""
    if metric_col not in METRICS:
        raise AttributionError(
            "unknown_metric", "metric_col", f"unknown metric_col {metric_col!r}; use one of: {', '.join(METRICS)}"
        )
    if algorithm == "decomposition" and metric_col not in IDENTITY_TREE:
        raise AttributionError(
            "no_identity_tree",
            "metric_col",
            f"{metric_col} has no identity tree to decompose (only {', '.join(IDENTITY_TREE)} have one); "
            "use algorithm=normdiff, which ranks the metrics for any metric_col",
        )
    if algorithm == "adtributor" and metric_col in RATIOS:
        raise AttributionError(
            "ratio_metric",
            "metric_col",
            f"adtributor explains additive metrics only and {metric_col} is a ratio; "
            "use algorithm=contribution to split its change into rate and mix effects",
        )


def _check_choice(value: str, choices: Sequence[str], field: str) -> None:
    if value not in choices:
        raise AttributionError(
            f"unknown_{field}", field, f"unknown {field} {value!r}; use one of: {', '.join(choices)}"
        )


def _check_limit(limit: int | None) -> None:
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise AttributionError("invalid_limit", "limit", f"limit must be a whole number ≥ 1, not {limit!r}")
