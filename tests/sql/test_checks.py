"""Each data check returns the failing rows for a state that breaks it, and none for a sound one."""

import pytest

from warehouse.config import SQL_DIR
from warehouse.loading import run_sql_file


def failing_rows(db, check: str, **parameters) -> list[tuple]:
    return db.execute((SQL_DIR / "checks" / f"{check}.sql").read_text(), parameters).fetchall()


@pytest.fixture
def telecom_tables(db):
    for path in ("model_staging/telecom_dirty_intervals.sql",):
        run_sql_file(db, path)
    for kpi in ("top_services_by_traffic", "top_cells_by_unique_users"):
        sql = (SQL_DIR / "model_staging" / f"{kpi}.sql").read_text()
        db.execute(sql.split(";")[0])  # only the create table statement
    db.execute("insert into model_staging.telecom_dirty_intervals values ('2017-03-01 08:00+00')")
    return db


def add_services(db, interval_name, start, rows):
    end = "'1 hour'" if interval_name == "1-hour" else "'5 minutes'"
    for rank, (service_id, total_bytes) in enumerate(rows, start=1):
        db.execute(
            f"insert into model_staging.top_services_by_traffic values (%s, %s, %s::timestamptz + interval {end}, "
            "%s, %s, %s)",
            (interval_name, start, start, rank, service_id, total_bytes),
        )


def test_ranks_ordered_passes_a_sound_ranking(telecom_tables):
    add_services(telecom_tables, "5-minute", "2017-03-01 08:00+00", [(9, 100), (8, 100), (1, 50)])
    add_services(telecom_tables, "1-hour", "2017-03-01 08:00+00", [(9, 100), (8, 100), (1, 50)])
    assert failing_rows(telecom_tables, "telecom_kpi_ranks_ordered") == []
    assert failing_rows(telecom_tables, "telecom_kpi_hour_covers_its_intervals") == []


@pytest.mark.parametrize("rows", [[(1, 50), (2, 100)], [(8, 100), (9, 100)]], ids=["value-increases", "tie-order"])
def test_ranks_ordered_finds_a_broken_ranking(telecom_tables, rows):
    add_services(telecom_tables, "5-minute", "2017-03-01 08:00+00", rows)
    assert len(failing_rows(telecom_tables, "telecom_kpi_ranks_ordered")) == 1


def test_ranks_ordered_looks_only_at_recomputed_intervals(telecom_tables):
    add_services(telecom_tables, "5-minute", "2017-03-01 07:00+00", [(1, 50), (2, 100)])
    assert failing_rows(telecom_tables, "telecom_kpi_ranks_ordered") == []


def test_hour_covers_its_intervals_finds_an_hour_below_its_part(telecom_tables):
    add_services(telecom_tables, "5-minute", "2017-03-01 08:05+00", [(1, 500)])
    add_services(telecom_tables, "1-hour", "2017-03-01 08:00+00", [(1, 400)])
    assert len(failing_rows(telecom_tables, "telecom_kpi_hour_covers_its_intervals")) == 1


def test_voucher_rules_overlap_is_found(db):
    run_sql_file(db, "raw/voucher_segment_rules.sql")
    assert failing_rows(db, "voucher_segment_rules_overlap") == []
    db.execute("update raw.voucher_segment_rules set max_value = 5 where segment_name = '1-4'")
    assert failing_rows(db, "voucher_segment_rules_overlap") == [("frequent_segment", "1-4", "5-13")]
    db.execute("update raw.voucher_segment_rules set max_value = null where segment_name = '121-180'")
    assert ("recency_segment", "121-180", "180+") in failing_rows(db, "voucher_segment_rules_overlap")
