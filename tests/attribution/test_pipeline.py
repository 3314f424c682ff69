"""Run the asset_metrics DAG for real with dag.test(), on crafted files and on a generated casino."""

import csv
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.conftest import failing_rows
from warehouse.domain import SourceError
from warehouse.domains.attribution.sample import write_asset_metrics
from warehouse.domains.attribution.source import load_file

HEADER = [
    "gamingDate", "assetNumber", "bank", "zone", "gameType", "denomination", "coinInCarded", "coinInUncarded",
    "handlePullsCarded", "handlePullsUncarded", "theoWin", "actualWin", "timeOnDevice", "sessionsCarded",
    "coinIn", "handlePulls",
]  # fmt: skip


def meters(**overrides) -> dict:
    """A valid row: 100 rated games at 2.00 and 50 unrated at 1.00 on 2018-03-05, overridden as given."""
    row = {
        "gamingDate": "2018-03-05",
        "assetNumber": "A1",
        "bank": "B1",
        "zone": "Z1",
        "gameType": "Video Reels",
        "denomination": "0.25",
        "coinInCarded": "200.00",
        "coinInUncarded": "50.00",
        "handlePullsCarded": "100",
        "handlePullsUncarded": "50",
        "theoWin": "20.00",
        "actualWin": "-12.50",
        "timeOnDevice": "600.00",
        "sessionsCarded": "2",
        "coinIn": "250.00",
        "handlePulls": "150",
    }
    return {**row, **overrides}


def write_rows(path: Path, rows: list[dict], header: list[str] = HEADER) -> Path:
    with open(path, "w", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=header, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


# Each rule, with a row that breaks only that rule (special inputs PostgreSQL would accept included).
BROKEN_ROWS = [
    ("gaming_date_missing", meters(gamingDate="")),
    ("gaming_date_unparseable", meters(gamingDate="2018-02-30")),
    ("gaming_date_unparseable", meters(gamingDate="now")),
    ("gaming_date_unparseable", meters(gamingDate="05/03/2018")),
    ("asset_number_missing", meters(assetNumber=" ")),
    ("bank_missing", meters(bank="")),
    ("zone_missing", meters(zone="")),
    ("game_type_missing", meters(gameType="")),
    ("denomination_not_a_number", meters(denomination="quarter")),
    ("denomination_not_positive", meters(denomination="0")),
    ("denomination_out_of_range", meters(denomination="1e20")),
    ("coin_in_carded_missing", meters(coinInCarded="")),
    ("coin_in_carded_not_a_number", meters(coinInCarded="NaN")),
    ("coin_in_uncarded_not_a_number", meters(coinInUncarded="n/a")),
    ("coin_in_uncarded_not_a_number", meters(coinInUncarded="Infinity", coinIn="")),
    ("coin_in_carded_negative", meters(coinInCarded="-200.00", coinIn="-150.00")),
    ("handle_pulls_carded_negative", meters(handlePullsCarded="-100", handlePulls="-50")),
    ("handle_pulls_uncarded_not_whole", meters(handlePullsUncarded="50.5", handlePulls="150.5")),
    ("sessions_carded_not_whole", meters(sessionsCarded="2.5")),
    ("sessions_carded_out_of_range", meters(sessionsCarded="1e20")),
    ("time_on_device_negative", meters(timeOnDevice="-1")),
    ("theo_win_not_a_number", meters(theoWin="-")),
    ("carded_money_without_games", meters(handlePullsCarded="0", handlePulls="50")),
    ("carded_games_without_money", meters(coinInCarded="0", coinIn="50.00")),
    ("uncarded_money_without_games", meters(handlePullsUncarded="0", handlePulls="100")),
    ("uncarded_games_without_money", meters(coinInUncarded="0.00", coinIn="200.00")),
    ("coin_in_inconsistent", meters(coinIn="250.01")),
    ("coin_in_not_a_number", meters(coinIn="lots")),
    ("handle_pulls_inconsistent", meters(handlePulls="151")),
]
# Rows that look odd but are data: each is kept.
GOOD_ROWS = [
    meters(assetNumber="A1"),
    # A dark machine: a row of zeros.
    meters(assetNumber="A2", **{name: "0" for name in HEADER[6:]}),
    # Exponents, extra decimals within the cent, spaces and a parquet-style midnight are read as numbers and dates.
    meters(assetNumber="A3", gamingDate="2018-03-05 00:00:00", coinInCarded="2e2", coinIn=" 250.004 "),
    # No totals in the row: they are derived, not required.
    meters(assetNumber="A4", coinIn="", handlePulls=""),
    meters(assetNumber="A5", gameType="Keno", denomination="1"),
]


def published_rows(connection) -> dict[tuple, tuple]:
    rows = connection.execute(
        """
        select gaming_date::text, asset_number, coin_in, handle_pulls, average_bet_carded, average_bet_uncarded,
            bank, batch_id, source_row_number
        from model_production.asset_metrics_daily
        """
    ).fetchall()
    return {(row[0], row[1]): row[2:] for row in rows}


def rejects(connection, batch_id: int) -> dict[int, str]:
    query = "select source_row_number, rule from audit.rejected_rows where batch_id = %s"
    return dict(connection.execute(query, (batch_id,)).fetchall())


def latest_batch(connection) -> int:
    return connection.execute("select max(batch_id) from audit.load_batches").fetchone()[0]


def test_each_broken_row_is_rejected_with_its_rule_and_the_rest_published(run_dag, db, tmp_path):
    duplicate = meters(assetNumber="A1", coinInCarded="999.00", coinIn="1049.00")
    rows = GOOD_ROWS + [row for _, row in BROKEN_ROWS] + [duplicate]
    source = write_rows(tmp_path / "metrics.csv", rows)

    run_dag("asset_metrics", conf={"source": str(source)})

    batch_id = latest_batch(db)
    expected = {len(GOOD_ROWS) + position + 1: rule for position, (rule, _) in enumerate(BROKEN_ROWS)}
    expected[len(rows)] = "duplicate_asset_day"
    assert rejects(db, batch_id) == expected
    published = published_rows(db)
    assert sorted(asset for _, asset in published) == ["A1", "A2", "A3", "A4", "A5"]
    # The first row of a repeated asset-day is kept; the later one is only rejected.
    assert published[("2018-03-05", "A1")][:4] == (250, 150, 2, 1)
    assert published[("2018-03-05", "A2")][:4] == (0, 0, None, None)
    assert published[("2018-03-05", "A3")][:2] == (250, 150)
    assert published[("2018-03-05", "A4")][:2] == (250, 150)
    # Lineage: every published row names its batch and its row in the file.
    assert {row[-2:] for row in published.values()} == {(batch_id, number) for number in range(1, 6)}
    record = db.execute(
        "select record from audit.rejected_rows where batch_id = %s and rule = 'coin_in_inconsistent'", (batch_id,)
    ).fetchone()[0]
    assert record["coinIn"] == "250.01" and record["assetNumber"] == "A1"
    accounting = db.execute(
        "select raw_rows, clean_rows, rejected_rows, duplicate_rows from model_production.asset_metrics_publications"
    ).fetchone()
    assert accounting == (len(rows), len(GOOD_ROWS), len(BROKEN_ROWS), 1)


def test_a_generated_casino_without_totals_loads_from_parquet_with_exactly_its_dirty_rows_rejected(
    run_dag, db, tmp_path
):
    written = write_asset_metrics(tmp_path / "casino.parquet", assets=60, days=30, causes=2, totals=False)
    sidecar = json.loads(written.causes_path.read_text())

    run_dag("asset_metrics", conf={"source": str(written.data_path)})

    batch_id = latest_batch(db)
    assert rejects(db, batch_id) == {entry["source_row_number"]: entry["rule"] for entry in sidecar["dirty_rows"]}
    clean = db.execute("select count(*) from model_production.asset_metrics_daily").fetchone()[0]
    assert clean == written.rows - len(sidecar["dirty_rows"])
    for check in ("row_accounting", "identities_hold", "batch_not_empty"):
        assert failing_rows(db, f"attribution/{check}", batch_id=batch_id) == []


def test_a_later_file_replaces_only_the_days_and_assets_it_carries(run_dag, db, tmp_path):
    first = [meters(gamingDate=day, assetNumber=asset) for day in ("2018-03-05", "2018-03-06") for asset in "AB"]
    run_dag("asset_metrics", conf={"source": str(write_rows(tmp_path / "first.csv", first))})
    before = published_rows(db)
    # The second file re-delivers one machine's day, with more play and a move to another bank.
    second = [meters(gamingDate="2018-03-06", assetNumber="A", bank="B9", coinInCarded="300.00", coinIn="350.00")]

    run_dag("asset_metrics", conf={"source": str(write_rows(tmp_path / "second.csv", second))})

    after = published_rows(db)
    assert after.keys() == before.keys()
    assert after[("2018-03-06", "A")][0] == 350 and after[("2018-03-06", "A")][4] == "B9"
    assert {key: row for key, row in after.items() if key != ("2018-03-06", "A")} == {
        key: row for key, row in before.items() if key != ("2018-03-06", "A")
    }
    assert db.execute("select count(*) from model_production.asset_metrics_publications").fetchone() == (2,)


def test_running_again_on_the_same_file_changes_nothing(run_dag, db, tmp_path):
    source = write_rows(tmp_path / "metrics.csv", GOOD_ROWS)
    run_dag("asset_metrics", conf={"source": str(source)})
    before = published_rows(db)

    dag_run = run_dag("asset_metrics", conf={"source": str(source)})

    states = {ti.task_id: ti.state for ti in dag_run.get_task_instances()}
    assert states["load_asset_metrics_file"] == "success" and states["publish_asset_metrics"] == "skipped"
    assert published_rows(db) == before
    assert db.execute("select count(*) from audit.load_batches").fetchone() == (1,)


def test_a_file_of_rejects_publishes_nothing_and_the_old_data_stays(run_dag, db, tmp_path):
    run_dag("asset_metrics", conf={"source": str(write_rows(tmp_path / "good.csv", GOOD_ROWS))})
    before = published_rows(db)
    broken = [row for _, row in BROKEN_ROWS]

    dag_run = run_dag("asset_metrics", conf={"source": str(write_rows(tmp_path / "bad.csv", broken))}, expect="failed")

    states = {ti.task_id: ti.state for ti in dag_run.get_task_instances()}
    assert states["check_batch_not_empty"] == "failed"
    assert states["publish_asset_metrics"] == "upstream_failed"
    assert published_rows(db) == before


def test_a_file_without_a_required_column_fails_naming_it(run_dag, db, tmp_path):
    header = [name for name in HEADER if name != "theoWin"]
    source = write_rows(tmp_path / "metrics.csv", GOOD_ROWS, header)

    dag_run = run_dag("asset_metrics", conf={"source": str(source)}, expect="failed")

    states = {ti.task_id: ti.state for ti in dag_run.get_task_instances()}
    assert states["load_asset_metrics_file"] == "failed"
    # The file, not the database, is at fault: the loader says so, and its task fails without retrying.
    with pytest.raises(SourceError, match=r"metrics.csv lacks the columns \['theoWin'\]"):
        load_file(db, str(source))


def test_a_parquet_file_with_midnight_timestamps_for_days_loads_every_row(run_dag, db, tmp_path):
    rows = [meters(assetNumber=f"A{number}") for number in range(3)]
    columns = {name: pa.array([row[name] for row in rows]) for name in HEADER if name != "gamingDate"}
    # pandas and Arrow write days as timestamps, which read back as text like 2018-03-05 00:00:00.000000.
    days = pa.array([1520208000000000] * len(rows), pa.timestamp("us", tz="UTC"))
    pq.write_table(pa.table({"gamingDate": days, **columns}), tmp_path / "metrics.parquet")

    run_dag("asset_metrics", conf={"source": str(tmp_path / "metrics.parquet")})

    assert sorted(published_rows(db)) == [("2018-03-05", "A0"), ("2018-03-05", "A1"), ("2018-03-05", "A2")]
