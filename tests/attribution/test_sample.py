"""The attribution sample is deterministic, rejects exactly what it says, and its causes are the clear answers."""

import csv
import json
import math
import re
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from warehouse.domains.attribution.sample import (
    COLUMNS,
    METER_COLUMNS,
    TOTAL_COLUMNS,
    dirty_rules,
    main,
    staging_rule,
    write_asset_metrics,
)

# Big enough for 12 banks of 15 machines in each of 3 zones, so that every kind of question is clear-cut.
ASSETS, DAYS, CAUSES = 540, 260, 20
INTEGER_METERS = {"handlePullsCarded", "handlePullsUncarded", "sessionsCarded"}
SIGNED_METERS = {"actualWin"}
DIMENSIONS = ["asset", "bank", "zone", "denomination", "gameType"]
DIMENSION_COLUMN = {"asset": "assetNumber", "bank": "bank", "zone": "zone", "denomination": "denomination"}
DIMENSION_COLUMN["gameType"] = "gameType"
# The runner-up may reach at most this share of the top rank: "clear-cut", not a coin toss.
RUNNER_UP_AT_MOST = 0.8


@pytest.fixture(scope="module")
def small_casino(tmp_path_factory):
    written = write_asset_metrics(
        tmp_path_factory.mktemp("sample") / "am.csv", assets=ASSETS, days=DAYS, causes=CAUSES, seed=7
    )
    with written.data_path.open(newline="") as source:
        reader = csv.reader(source)
        header = next(reader)
        rows = [dict(zip(header, values, strict=True)) for values in reader]
    return header, rows, json.loads(written.causes_path.read_text())


def _number(text: str) -> Decimal | None:
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _broken_rules(row: dict, seen: set) -> set[str]:
    """The staging rules one row breaks, judged from its text alone (and the keys seen before it)."""
    broken = set()
    if row["gamingDate"] == "":
        broken.add("gaming_date_missing")
    elif not re.fullmatch(r"\d{4}-\d{2}-\d{2}", row["gamingDate"]):
        broken.add("gaming_date_unparseable")
    else:
        try:
            date.fromisoformat(row["gamingDate"])
        except ValueError:
            broken.add("gaming_date_unparseable")
    if row["assetNumber"] == "":
        broken.add("asset_number_missing")
    values = {}
    for meter in METER_COLUMNS:
        if row[meter] == "":
            broken.add(f"{meter}_missing")
            continue
        value = _number(row[meter])
        if value is None:
            broken.add(f"{meter}_not_a_number")
            continue
        values[meter] = value
        if value < 0 and meter not in SIGNED_METERS:
            broken.add(f"{meter}_negative")
        if meter in INTEGER_METERS and value != value.to_integral_value():
            broken.add(f"{meter}_not_whole")
    for play in ("Carded", "Uncarded"):
        money, games = values.get(f"coinIn{play}"), values.get(f"handlePulls{play}")
        if money is not None and games is not None:
            if money > 0 and games == 0:
                broken.add(f"{play.lower()}_money_without_games")
            if games > 0 and money == 0:
                broken.add(f"{play.lower()}_games_without_money")
    for total, rule in (("coinIn", "coin_in_inconsistent"), ("handlePulls", "handle_pulls_inconsistent")):
        parts = [values.get(f"{total}Carded"), values.get(f"{total}Uncarded")]
        if total in row and None not in parts and _number(row[total]) != sum(parts):
            broken.add(rule)
    key = (row["gamingDate"], row["assetNumber"])
    if key in seen:
        broken.add("duplicate_asset_day")
    seen.add(key)
    return {staging_rule(rule) for rule in broken}


def _clean_rows_by_date(rows: list[dict], sidecar: dict) -> dict[str, list[dict]]:
    dirty = {entry["source_row_number"] for entry in sidecar["dirty_rows"]}
    by_date = defaultdict(list)
    for number, row in enumerate(rows, start=1):
        if number not in dirty:
            by_date[row["gamingDate"]].append(row)
    return by_date


def _baseline_date(gaming_date: str, weeks: int = 1) -> str:
    return (date.fromisoformat(gaming_date) - timedelta(days=7 * weeks)).isoformat()


def _selected(rows: list[dict], params: dict) -> list[dict]:
    filters = {DIMENSION_COLUMN[name]: value for name, value in params.items() if name in DIMENSION_COLUMN}
    return [row for row in rows if all(row[column] == value for column, value in filters.items())]


def _sums(rows: list[dict]) -> dict[str, float]:
    meters = ["coinInCarded", "coinInUncarded", "handlePullsCarded", "handlePullsUncarded"]
    return {meter: sum(float(row[meter]) for row in rows) for meter in meters}


def _top_two(contributions: dict, total_change: float) -> tuple:
    """bestranks: the greatest contribution in the direction of the change first."""
    ranked = sorted(contributions, key=lambda name: contributions[name] * math.copysign(1, total_change), reverse=True)
    return ranked[0], (ranked[1] if len(ranked) > 1 else None)


def _metric_contributions(target: dict, baseline: dict) -> dict[str, float]:
    """The decomposition's leaves under coinIn, by the midpoint (Shapley) rule."""
    contributions = {}
    for play in ("Carded", "Uncarded"):
        pulls = (baseline[f"handlePulls{play}"], target[f"handlePulls{play}"])
        money = (baseline[f"coinIn{play}"], target[f"coinIn{play}"])
        bets = [money[period] / pulls[period] if pulls[period] else None for period in (0, 1)]
        # An average bet undefined in one period (no games) takes the other period's value.
        bets = [bets[0] if bets[0] is not None else bets[1], bets[1] if bets[1] is not None else bets[0]]
        bets = [bet or 0.0 for bet in bets]
        contributions[f"handlePulls{play}"] = (pulls[1] - pulls[0]) * (bets[0] + bets[1]) / 2
        contributions[f"averageBet{play}"] = (bets[1] - bets[0]) * (pulls[0] + pulls[1]) / 2
    return contributions


def _coin_in_by(rows: list[dict], dimension: str) -> dict[str, float]:
    totals = defaultdict(float)
    for row in rows:
        totals[row[DIMENSION_COLUMN[dimension]]] += float(row["coinInCarded"]) + float(row["coinInUncarded"])
    return totals


def _surprise(p: float, q: float) -> float:
    def term(share: float) -> float:
        return share * math.log(2 * share / (p + q)) if share > 0 else 0.0

    return 0.5 * (term(p) + term(q))


def _adtributor_sets(target_rows: list[dict], baseline_rows: list[dict]) -> list[tuple[float, str, list[str]]]:
    """Adtributor (NSDI 2014) over every dimension, as SPEC section 3 defines it: (total surprise, dimension, set)."""
    sets = []
    for dimension in DIMENSIONS:
        actual, forecast = _coin_in_by(target_rows, dimension), _coin_in_by(baseline_rows, dimension)
        total_actual, total_forecast = sum(actual.values()), sum(forecast.values())
        values = set(actual) | set(forecast)
        surprise = {
            value: _surprise(forecast.get(value, 0.0) / total_forecast, actual.get(value, 0.0) / total_actual)
            for value in values
        }
        explanatory_power = {
            value: (actual.get(value, 0.0) - forecast.get(value, 0.0)) / (total_actual - total_forecast)
            for value in values
        }
        chosen, explained = [], 0.0
        for value in sorted(values, key=lambda value: surprise[value], reverse=True):
            if explanatory_power[value] > 0.1:
                chosen.append(value)
                explained += explanatory_power[value]
                if explained >= 0.67:
                    sets.append((sum(surprise[value] for value in chosen), dimension, chosen))
                    break
    return sorted(sets, reverse=True)


def _answer_margin(question: dict, target_rows: list[dict], baseline_rows: list[dict]) -> tuple[dict, float]:
    """Return what the top rank would be, and how far behind the runner-up stays (as a share of the top)."""
    params = question["params"]
    if question["endpoint"] in ("/singlerankmetrics", "/grouprankmetrics"):
        target, baseline = _sums(_selected(target_rows, params)), _sums(_selected(baseline_rows, params))
        contributions = _metric_contributions(target, baseline)
        top, runner_up = _top_two(contributions, sum(contributions.values()))
        return {"metric": top}, contributions[runner_up] / contributions[top]
    if params.get("algorithm") == "adtributor":
        sets = _adtributor_sets(_selected(target_rows, params), _selected(baseline_rows, params))
        best_surprise, best_dimension, best_set = sets[0]
        runner_up = sets[1][0] / best_surprise if len(sets) > 1 else 0.0
        return {"dimension": best_dimension, "value": best_set[0]}, runner_up
    dimension = params.get("dimension", "asset")
    actual = _coin_in_by(_selected(target_rows, params), dimension)
    forecast = _coin_in_by(_selected(baseline_rows, params), dimension)
    changes = {value: actual.get(value, 0.0) - forecast.get(value, 0.0) for value in set(actual) | set(forecast)}
    top, runner_up = _top_two(changes, sum(changes.values()))
    return {"value": top}, changes[runner_up] / changes[top]


def test_same_arguments_write_identical_files_and_another_seed_does_not(tmp_path):
    arguments = {"assets": 60, "days": 60, "causes": 4}
    for suffix in ("csv", "parquet"):
        first = write_asset_metrics(tmp_path / "first" / f"am.{suffix}", **arguments)
        second = write_asset_metrics(tmp_path / "second" / f"am.{suffix}", **arguments)
        other = write_asset_metrics(tmp_path / "other" / f"am.{suffix}", seed=1, **arguments)
        assert first.data_path.read_bytes() == second.data_path.read_bytes()
        assert first.causes_path.read_bytes() == second.causes_path.read_bytes()
        assert first.data_path.read_bytes() != other.data_path.read_bytes()
        assert first.causes_path.name == "am.causes.json"


def test_columns_are_text_and_rows_are_every_asset_day_plus_duplicates(tmp_path, small_casino):
    header, rows, sidecar = small_casino
    assert header == COLUMNS + TOTAL_COLUMNS == sidecar["columns"]
    duplicates = sum(entry["rule"] == "duplicate_asset_day" for entry in sidecar["dirty_rows"])
    assert len(rows) == ASSETS * DAYS + duplicates == sidecar["rows"]

    written = write_asset_metrics(tmp_path / "am.parquet", assets=60, days=30, causes=2, totals=False, dirty=False)
    table = pq.read_table(written.data_path)
    assert table.schema.names == COLUMNS
    assert all(field.type == pa.string() for field in table.schema)
    assert table.num_rows == 60 * 30
    assert json.loads(written.causes_path.read_text())["dirty_rows"] == []


def test_casino_has_zones_of_banks_and_independent_attributes(small_casino):
    _, rows, sidecar = small_casino
    zones_of_bank = sidecar["casino"]["banks"]
    assert len(set(zones_of_bank.values())) >= 3
    assert all(list(zones_of_bank.values()).count(zone) >= 4 for zone in set(zones_of_bank.values()))
    first_day = [row for row in rows[:ASSETS]]
    assert len({row["gameType"] for row in first_day}) >= 4
    assert len({row["denomination"] for row in first_day}) >= 4
    banks_seen = defaultdict(set)
    for row in rows:
        if row["assetNumber"]:
            banks_seen[row["assetNumber"]].add(row["bank"])
    assert [asset for asset, banks in banks_seen.items() if len(banks) > 1] == sorted(
        move["asset_number"] for move in sidecar["casino"]["moves"]
    )
    dark_rows = sum(all(row[meter] in ("0", "0.00") for meter in METER_COLUMNS) for row in rows)
    assert dark_rows > 0


def test_each_dirty_row_breaks_exactly_its_rule_and_clean_rows_none(small_casino):
    _, rows, sidecar = small_casino
    recorded = {entry["source_row_number"]: entry["rule"] for entry in sidecar["dirty_rows"]}
    assert set(recorded.values()) == {staging_rule(rule) for rule in dirty_rules(totals=True)}
    seen = set()
    for number, row in enumerate(rows, start=1):
        expected = {recorded[number]} if number in recorded else set()
        assert _broken_rules(row, seen) == expected, (number, row)


def test_command_line_without_totals_still_breaks_one_rule_per_dirty_row(tmp_path):
    main([str(tmp_path / "am.csv"), "--assets", "60", "--days", "40", "--causes", "2", "--no-totals", "--seed", "3"])
    sidecar = json.loads((tmp_path / "am.causes.json").read_text())
    assert sidecar["generator"]["totals"] is False and sidecar["columns"] == COLUMNS
    recorded = {entry["source_row_number"]: entry["rule"] for entry in sidecar["dirty_rows"]}
    assert set(recorded.values()) == {staging_rule(rule) for rule in dirty_rules(totals=False)}
    with (tmp_path / "am.csv").open(newline="") as source:
        rows = list(csv.DictReader(source))
    assert list(rows[0]) == COLUMNS
    seen = set()
    for number, row in enumerate(rows, start=1):
        assert _broken_rules(row, seen) == ({recorded[number]} if number in recorded else set()), (number, row)


def test_totals_equal_carded_plus_uncarded_on_clean_rows(small_casino):
    _, rows, sidecar = small_casino
    for gaming_rows in _clean_rows_by_date(rows, sidecar).values():
        for row in gaming_rows:
            assert Decimal(row["coinIn"]) == Decimal(row["coinInCarded"]) + Decimal(row["coinInUncarded"])
            assert int(row["handlePulls"]) == int(row["handlePullsCarded"]) + int(row["handlePullsUncarded"])


def test_causes_fall_on_distinct_dates_with_clean_baselines(small_casino):
    _, rows, sidecar = small_casino
    cause_dates = [cause["gaming_date"] for cause in sidecar["causes"]]
    assert len(cause_dates) == CAUSES >= 20
    assert len(set(cause_dates)) == len(cause_dates)
    assert {cause["kind"] for cause in sidecar["causes"]} == {
        "zone_uncarded_bet_drop",
        "bank_dark",
        "denomination_carded_play_rise",
        "asset_failure",
        "gametype_carded_bet_rise",
    }
    dirty = {entry["source_row_number"] for entry in sidecar["dirty_rows"]}
    rows_on = defaultdict(list)
    for number, row in enumerate(rows, start=1):
        rows_on[row["gamingDate"]].append(number)
    for cause_date in cause_dates:
        assert not {_baseline_date(cause_date, weeks) for weeks in range(1, 13)} & set(cause_dates)
        for day in (cause_date, _baseline_date(cause_date)):
            assert len(rows_on[day]) == ASSETS and not dirty & set(rows_on[day])
            assert len({rows[number - 1]["assetNumber"] for number in rows_on[day]}) == ASSETS


def test_every_question_names_the_clear_largest_mover(small_casino):
    _, rows, sidecar = small_casino
    by_date = _clean_rows_by_date(rows, sidecar)
    for cause in sidecar["causes"]:
        assert len(cause["questions"]) == (2 if cause["kind"] == "asset_failure" else 3)
        for question in cause["questions"]:
            target_date = question["params"]["date_target"]
            answer, runner_up = _answer_margin(question, by_date[target_date], by_date[_baseline_date(target_date)])
            assert answer == question["expect"], (cause["description"], question)
            assert runner_up <= RUNNER_UP_AT_MOST, (cause["description"], question, runner_up)
