"""Run the voucher_selection DAG for real with dag.test(), on crafted files and on the real file."""

import functools
import http.server
import threading

import psycopg
import pytest

from tests.conftest import reset_warehouse, shared_file
from tests.vouchers.factories import event, write_voucher_csv

AS_OF = "2018-09-15"

# Each cleaning rule, with rows that break only that rule (special inputs PostgreSQL would accept included).
BROKEN_ROWS = [
    ("country_code_missing", event(country_code="")),
    ("voucher_amount_missing", event(voucher_amount="")),
    ("voucher_amount_not_a_number", event(voucher_amount="lots")),
    ("voucher_amount_negative", event(voucher_amount="-10.0")),
    ("total_orders_missing", event(total_orders="")),
    ("total_orders_not_a_number", event(total_orders="two")),
    ("total_orders_negative", event(total_orders="-2.0")),
    ("total_orders_not_whole", event(total_orders="2.5")),
    ("zero_orders_with_order_dates", event(total_orders="0.0")),
    ("last_order_ts_missing", event(last_order_ts="")),
    ("last_order_ts_unparseable", event(last_order_ts="2018-13-45")),
    ("first_order_ts_missing", event(first_order_ts="")),
    ("first_order_ts_unparseable", event(first_order_ts="yesterday")),
    ("last_order_before_first_order", event(first_order_ts="2018-09-01 00:00:00", days_since_last_order=30)),
    ("timestamp_unparseable", event(timestamp="now")),
    ("total_orders_not_a_number", event(total_orders="NaN")),
    ("voucher_amount_not_a_number", event(voucher_amount="Infinity")),
    ("first_order_ts_unparseable", event(first_order_ts="epoch")),
    ("last_order_ts_unparseable", event(last_order_ts="infinity")),
]

# Every segment boundary: the amount encodes the case, so the segment it lands in can be read back.
ORDER_BOUNDARIES = {0: None, 1: "1-4", 4: "1-4", 5: "5-13", 13: "5-13", 14: "14-37", 37: "14-37", 38: None}
DAY_BOUNDARIES = {
    29: None,
    30: "30-60",
    60: "30-60",
    61: "61-90",
    90: "61-90",
    91: "91-120",
    120: "91-120",
    121: "121-180",
    180: "121-180",
    181: "180+",
}


def crafted_rows() -> list[dict]:
    rows = [event(voucher_amount="2640.0"), event(voucher_amount="2640.0", total_orders="6.0")]
    rows += [row for _, row in BROKEN_ROWS]
    rows.append(rows[0])  # an exact duplicate of the first row
    rows.append(event(timestamp="2018-09-16 00:00:00"))  # after the as_of day: not in the snapshot
    for orders in ORDER_BOUNDARIES:
        rows.append(
            event(
                country_code="Frequentia",
                total_orders=f"{orders}.0",
                days_since_last_order=5,
                voucher_amount=str(1000 + orders),
            )
        )
    for days in DAY_BOUNDARIES:
        rows.append(
            event(
                country_code="Recencia",
                total_orders="50.0",
                days_since_last_order=days,
                voucher_amount=str(2000 + days),
            )
        )
    # Ties: 300 and 500 are used twice each; the smaller amount wins and the other is runner-up.
    for amount in ("500.0", "300.0", "500.0", "300.0", "700.0"):
        rows.append(
            event(
                country_code="Tieland",
                total_orders="2.0",
                voucher_amount=amount,
                timestamp=f"2018-08-0{len(rows) % 9 + 1} 10:00:00",
            )
        )
    return rows


@pytest.fixture(scope="module")
def crafted_run(warehouse_url, dag_runner, tmp_path_factory):
    reset_warehouse(warehouse_url)
    source = write_voucher_csv(tmp_path_factory.mktemp("vouchers") / "crafted.csv", crafted_rows())
    dag_runner("voucher_selection", conf={"as_of": AS_OF, "source": str(source)})
    with psycopg.connect(warehouse_url, autocommit=True) as connection:
        yield connection


def test_each_cleaning_rule_rejects_its_row_with_the_reason(crafted_run):
    rejected = dict(
        crafted_run.execute(
            "select source_row_number, rule from audit.rejected_rows where rule <> 'duplicate_row'"
        ).fetchall()
    )
    # Rows 1 and 2 are clean; the broken rows follow in order.
    expected = {row_number: rule for row_number, (rule, _) in enumerate(BROKEN_ROWS, start=3)}
    # The 0-orders boundary row, after the duplicate and the late event, is inconsistent too.
    expected[2 + len(BROKEN_ROWS) + 3] = "zero_orders_with_order_dates"
    assert rejected == expected


def test_rejected_rows_keep_the_row_as_it_arrived(crafted_run):
    record = crafted_run.execute(
        "select record from audit.rejected_rows where rule = 'total_orders_not_a_number' order by source_row_number"
    ).fetchone()[0]
    assert record["total_orders"] == "two"
    assert record["country_code"] == "Peru"


def test_exact_duplicates_count_once(crafted_run):
    duplicates = crafted_run.execute(
        "select source_row_number from audit.rejected_rows where rule = 'duplicate_row'"
    ).fetchall()
    assert duplicates == [(len(BROKEN_ROWS) + 3,)]


def test_row_accounting_holds(crafted_run):
    raw, clean, rejected, duplicates = crafted_run.execute(
        """
        select
            (select count(*) from raw.voucher_events),
            (select count(*) from model_staging.stg_voucher__events),
            (select count(*) from audit.rejected_rows where rule <> 'duplicate_row'),
            (select count(*) from audit.rejected_rows where rule = 'duplicate_row')
        """
    ).fetchone()
    assert raw == len(crafted_rows())
    assert raw == clean + rejected + duplicates
    snapshot = crafted_run.execute(
        "select raw_rows, clean_rows, rejected_rows, duplicate_rows from model_production.voucher_snapshots"
    ).fetchone()
    assert snapshot == (raw, clean, rejected, duplicates)


def segment_of(connection, country_code: str, segment_type: str, amount: int) -> str | None:
    rows = connection.execute(
        """
        select segment_name from model_staging.voucher_segment_usage
        where country_code = %s and segment_type = %s and voucher_amount = %s
        """,
        (country_code, segment_type, amount),
    ).fetchall()
    assert len(rows) <= 1
    return rows[0][0] if rows else None


@pytest.mark.parametrize("orders, segment_name", ORDER_BOUNDARIES.items())
def test_frequent_segment_boundaries(crafted_run, orders, segment_name):
    assert segment_of(crafted_run, "Frequentia", "frequent_segment", 1000 + orders) == segment_name


@pytest.mark.parametrize("days, segment_name", DAY_BOUNDARIES.items())
def test_recency_segment_boundaries(crafted_run, days, segment_name):
    assert segment_of(crafted_run, "Recencia", "recency_segment", 2000 + days) == segment_name


def test_ties_go_to_the_smaller_amount(crafted_run):
    row = crafted_run.execute(
        """
        select voucher_amount, voucher_uses, segment_uses, runner_up_voucher_amount, runner_up_voucher_uses
        from model_production.voucher_selection
        where country_code = 'Tieland' and segment_type = 'frequent_segment' and segment_name = '1-4'
        """
    ).fetchone()
    assert row == (300, 2, 5, 500, 2)


def test_events_after_the_as_of_day_are_left_out(crafted_run):
    uses = crafted_run.execute(
        """
        select segment_uses from model_production.voucher_selection
        where country_code = 'Peru' and segment_type = 'frequent_segment' and segment_name = '5-13'
        """
    ).fetchone()[0]
    assert uses == 2  # the two clean rows; the duplicate and the 16 September event are not counted


def production_tables(connection) -> dict[str, list[tuple]]:
    tables = [
        name
        for (name,) in connection.execute(
            "select table_name from information_schema.tables "
            "where table_schema = 'model_production' and table_type = 'BASE TABLE' order by 1"
        )
    ]
    return {
        table: connection.execute(f"select * from model_production.{table} order by 1, 2, 3, 4").fetchall()
        for table in tables
    }


def test_second_run_changes_nothing(run_dag, db, tmp_path):
    source = write_voucher_csv(tmp_path / "vouchers.csv", crafted_rows())
    run_dag("voucher_selection", conf={"as_of": AS_OF, "source": str(source)})
    first = production_tables(db)
    run_dag("voucher_selection", conf={"as_of": AS_OF, "source": str(source)})
    assert production_tables(db) == first
    assert set(first) == {"voucher_segment_rules", "voucher_selection", "voucher_snapshots"}
    assert db.execute("select count(*) from audit.load_batches").fetchone()[0] == 1


def test_a_failed_check_stops_publication(run_dag, db, tmp_path):
    source = write_voucher_csv(tmp_path / "vouchers.csv", crafted_rows())
    run_dag("voucher_selection", conf={"as_of": AS_OF, "source": str(source)})
    before = production_tables(db)
    # A date before every event leaves the snapshot empty, which the checks refuse to publish.
    run = run_dag("voucher_selection", conf={"as_of": "2010-01-01", "source": str(source)}, expect="failed")
    assert production_tables(db) == before
    # The same rows would fail the same way: the check fails at once, without retries.
    check = next(ti for ti in run.get_task_instances() if ti.task_id == "check_snapshot_not_empty")
    assert (check.state, check.try_number) == ("failed", 1)


def test_segment_rules_are_data(run_dag, db, tmp_path):
    source = write_voucher_csv(tmp_path / "vouchers.csv", [event(total_orders="6.0")])
    run_dag("voucher_selection", conf={"as_of": AS_OF, "source": str(source)})
    db.execute("update raw.voucher_segment_rules set max_value = 6 where segment_name = '1-4'")
    db.execute("update raw.voucher_segment_rules set min_value = 7 where segment_name = '5-13'")
    run_dag("voucher_selection", conf={"as_of": "2018-09-16", "source": str(source)})
    segments = db.execute(
        "select as_of_date::text, segment_name from model_production.voucher_selection "
        "where segment_type = 'frequent_segment' order by 1"
    ).fetchall()
    assert segments == [("2018-09-15", "5-13"), ("2018-09-16", "1-4")]


def test_extract_downloads_an_http_source(run_dag, db, tmp_path):
    write_voucher_csv(tmp_path / "vouchers.csv", [event(), event(voucher_amount="4400.0")])
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/vouchers.csv"
        run_dag("voucher_selection", conf={"as_of": AS_OF, "source": url})
    finally:
        server.shutdown()
    assert db.execute("select source_name, raw_rows from model_production.voucher_snapshots").fetchone() == (
        url,
        2,
    )


def test_real_file_answers_peru_frequent_13_orders(run_dag, db):
    source = shared_file("voucher", "data.parquet.gzip")
    run_dag("voucher_selection", conf={"as_of": AS_OF, "source": str(source)})
    raw, clean, rejected, duplicates = db.execute(
        "select raw_rows, clean_rows, rejected_rows, duplicate_rows from model_production.voucher_snapshots"
    ).fetchone()
    assert raw == 285_570
    assert raw == clean + rejected + duplicates
    row = db.execute(
        """
        select voucher_amount from model_production.voucher_selection
        where as_of_date = %s and country_code = 'Peru' and segment_type = 'frequent_segment'
            and segment_name = '5-13'
        """,
        (AS_OF,),
    ).fetchone()
    assert row == (2640,)


def test_a_connection_lost_while_publishing_fails_the_task_and_its_retry_publishes(run_dag, db, tmp_path):
    source = write_voucher_csv(tmp_path / "vouchers.csv", crafted_rows())
    run_dag("voucher_selection", conf={"as_of": AS_OF, "source": str(source)})
    # The next publication loses its connection once, after writing its rows but before committing them.
    # A sequence counts the attempts, because it is the one thing the lost transaction cannot roll back.
    db.execute("create sequence state.publish_attempts")
    db.execute(
        """
        create function state.lose_connection_on_first_attempt() returns trigger language plpgsql as $$
        begin
            if nextval('state.publish_attempts') = 1 then
                perform pg_terminate_backend(pg_backend_pid());
            end if;
            return null;
        end $$
        """
    )
    db.execute(
        "create trigger lose_connection after insert on model_production.voucher_selection "
        "for each statement execute function state.lose_connection_on_first_attempt()"
    )
    run = run_dag("voucher_selection", conf={"as_of": "2018-09-16", "source": str(source)})
    publish = next(ti for ti in run.get_task_instances() if ti.task_id == "publish_voucher_selection")
    assert publish.try_number == 2
    assert db.execute("select nextval('state.publish_attempts')").fetchone() == (3,)
    snapshots = db.execute("select as_of_date::text from model_production.voucher_snapshots order by 1").fetchall()
    assert snapshots == [(AS_OF,), ("2018-09-16",)]
    answers = db.execute(
        "select as_of_date::text, count(*) from model_production.voucher_selection group by 1 order by 1"
    ).fetchall()
    assert answers[0][1] == answers[1][1] > 0


@pytest.mark.parametrize("content", [None, b"PAR1 this is no parquet file"])
def test_a_missing_or_corrupt_source_fails_at_once_without_retries(run_dag, db, tmp_path, content):
    source = tmp_path / "vouchers.parquet"
    if content is not None:
        source.write_bytes(content)
    run = run_dag("voucher_selection", conf={"as_of": AS_OF, "source": str(source)}, expect="failed")
    load = next(ti for ti in run.get_task_instances() if ti.task_id == "load_voucher_file")
    assert (load.state, load.try_number) == ("failed", 1)
