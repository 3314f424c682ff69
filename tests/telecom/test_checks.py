"""Each KPI check returns the failing rows for a state that breaks it, and none for a sound one."""

import pytest

from tests.conftest import failing_rows
from warehouse import registry
from warehouse.models import run_statements, run_step


@pytest.fixture
def telecom_tables(db):
    """The telecom relations, and its staging KPI tables as the models make them (empty: nothing is dirty yet)."""
    run_statements(db, ["audit/load_batches.sql", *registry.domain("telecom").relations])
    run_step(
        db, ["model_staging/telecom/top_services_by_traffic.sql", "model_staging/telecom/top_cells_by_unique_users.sql"]
    )
    db.execute("insert into state.telecom_dirty_intervals values ('2017-03-01 08:00+00')")
    return db


def add_services(db, interval_name, start, rows):
    end = "'1 hour'" if interval_name == "1-hour" else "'5 minutes'"
    for rank, (service_id, total_bytes) in enumerate(rows, start=1):
        db.execute(
            "insert into model_staging.top_services_by_traffic"
            " (interval_name, interval_start_at, interval_end_at, service_rank, service_id, total_bytes)"
            f" values (%s, %s, %s::timestamptz + interval {end}, %s, %s, %s)",
            (interval_name, start, start, rank, service_id, total_bytes),
        )


def test_ranks_ordered_passes_a_sound_ranking(telecom_tables):
    add_services(telecom_tables, "5-minute", "2017-03-01 08:00+00", [(9, 100), (8, 100), (1, 50)])
    add_services(telecom_tables, "1-hour", "2017-03-01 08:00+00", [(9, 100), (8, 100), (1, 50)])
    assert failing_rows(telecom_tables, "telecom/kpi_ranks_ordered") == []
    assert failing_rows(telecom_tables, "telecom/kpi_hour_covers_its_intervals") == []


@pytest.mark.parametrize("rows", [[(1, 50), (2, 100)], [(8, 100), (9, 100)]], ids=["value-increases", "tie-order"])
def test_ranks_ordered_finds_a_broken_ranking(telecom_tables, rows):
    add_services(telecom_tables, "5-minute", "2017-03-01 08:00+00", rows)
    assert len(failing_rows(telecom_tables, "telecom/kpi_ranks_ordered")) == 1


def test_ranks_ordered_looks_only_at_recomputed_intervals(telecom_tables):
    add_services(telecom_tables, "5-minute", "2017-03-01 07:00+00", [(1, 50), (2, 100)])
    assert failing_rows(telecom_tables, "telecom/kpi_ranks_ordered") == []


def test_hour_covers_its_intervals_finds_an_hour_below_its_part(telecom_tables):
    add_services(telecom_tables, "5-minute", "2017-03-01 08:05+00", [(1, 500)])
    add_services(telecom_tables, "1-hour", "2017-03-01 08:00+00", [(1, 400)])
    assert len(failing_rows(telecom_tables, "telecom/kpi_hour_covers_its_intervals")) == 1
