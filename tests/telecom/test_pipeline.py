"""Run the telecom_kpis DAG for real with dag.test(), on the real files and on crafted deliveries."""

import shutil

import pytest

from tests.conftest import shared_file
from warehouse.domains.telecom.contract import HEADER, file_name

EIGHT = 1488355200000  # 2017-03-01 08:00:00 UTC
FIVE_MINUTES = 300_000


def deliver(folder, interval_start_ms, part, rows, crlf=False):
    """Write one landing file with the given rows (tuples or raw lines)."""
    newline = "\r\n" if crlf else "\n"
    lines = [row if isinstance(row, str) else ",".join(str(value) for value in row) for row in rows]
    path = folder / file_name(interval_start_ms, part)
    path.write_bytes((HEADER + newline + newline.join(lines) + newline).encode())
    return path


def flow(start, msisdn, uplink, downlink, service_id, cell_id):
    return (start, start + FIVE_MINUTES, msisdn, uplink, downlink, service_id, cell_id)


def kpi1(db, interval_name, start_ms):
    return db.execute(
        """
        select service_id, total_bytes from model_production.top_services_by_traffic
        where interval_name = %s and interval_start_at = to_timestamp(%s / 1000.0)
        order by service_rank
        """,
        (interval_name, start_ms),
    ).fetchall()


def kpi2(db, interval_name, start_ms):
    return db.execute(
        """
        select cell_id, number_of_unique_users from model_production.top_cells_by_unique_users
        where interval_name = %s and interval_start_at = to_timestamp(%s / 1000.0)
        order by cell_rank
        """,
        (interval_name, start_ms),
    ).fetchall()


@pytest.fixture
def landing(tmp_path, monkeypatch):
    folder = tmp_path / "landing"
    folder.mkdir()
    monkeypatch.setenv("TELECOM_LANDING_DIR", str(folder))
    return folder


def test_real_files(run_dag, db, landing):
    for path in shared_file("telecom").glob("ipflow_data.ts-*.txt"):
        shutil.copy(path, landing)
    run_dag("telecom_kpis")
    assert db.execute("select count(*) from raw.ipflow_records").fetchone() == (40,)
    assert db.execute("select count(*) from audit.rejected_rows").fetchone() == (0,)
    assert kpi1(db, "5-minute", EIGHT) == [(1, 16100), (3, 11500), (2, 9260)]
    assert kpi2(db, "1-hour", EIGHT) == [(1001, 4), (5005, 3), (1000, 3)]


def test_ties_go_to_the_larger_id(run_dag, db, landing):
    deliver(
        landing,
        EIGHT,
        1,
        [
            flow(EIGHT, 1, 100, 0, 7, 10),
            flow(EIGHT, 2, 50, 50, 9, 30),
            flow(EIGHT, 3, 0, 100, 8, 20),
            flow(EIGHT, 4, 10, 0, 6, 40),
        ],
    )
    run_dag("telecom_kpis")
    assert kpi1(db, "5-minute", EIGHT) == [(9, 100), (8, 100), (7, 100)]
    assert kpi2(db, "5-minute", EIGHT) == [(40, 1), (30, 1), (20, 1)]


def test_at_most_three_rows_per_interval(run_dag, db, landing):
    deliver(landing, EIGHT, 1, [flow(EIGHT, msisdn, 10 * msisdn, 0, msisdn, 100 + msisdn) for msisdn in range(1, 8)])
    run_dag("telecom_kpis")
    assert len(kpi1(db, "5-minute", EIGHT)) == 3
    assert len(kpi2(db, "1-hour", EIGHT)) == 3


def test_an_hour_counts_distinct_users_over_the_whole_hour(run_dag, db, landing):
    # The same two users in two intervals: 2 users in each 5 minutes, 2 (not 4) in the hour.
    for offset in (0, 11):
        start = EIGHT + offset * FIVE_MINUTES
        deliver(landing, start, 1, [flow(start, 1, 10, 10, 1, 500), flow(start, 2, 10, 10, 1, 500)])
    run_dag("telecom_kpis")
    assert kpi2(db, "5-minute", EIGHT) == [(500, 2)]
    assert kpi2(db, "1-hour", EIGHT) == [(500, 2)]
    assert kpi1(db, "1-hour", EIGHT) == [(1, 80)]


def test_the_hour_boundary_separates_hours(run_dag, db, landing):
    last_of_eight, first_of_nine = EIGHT + 11 * FIVE_MINUTES, EIGHT + 12 * FIVE_MINUTES
    deliver(landing, last_of_eight, 1, [flow(last_of_eight, 1, 100, 0, 1, 10)])
    deliver(landing, first_of_nine, 1, [flow(first_of_nine, 2, 300, 0, 2, 20)])
    run_dag("telecom_kpis")
    assert kpi1(db, "1-hour", EIGHT) == [(1, 100)]
    assert kpi1(db, "1-hour", first_of_nine) == [(2, 300)]
    row = db.execute(
        "select interval_end_at - interval_start_at from model_production.top_services_by_traffic "
        "where interval_name = '1-hour' limit 1"
    ).fetchone()
    assert str(row[0]) == "1:00:00"


def test_a_redelivered_identical_file_changes_nothing(run_dag, db, landing):
    deliver(landing, EIGHT, 1, [flow(EIGHT, 1, 100, 0, 1, 10)], crlf=True)
    run_dag("telecom_kpis")
    before = db.execute("select * from model_production.top_services_by_traffic order by 1, 2, 4").fetchall()
    deliver(landing, EIGHT, 1, [flow(EIGHT, 1, 100, 0, 1, 10)], crlf=True)  # same name, same bytes
    run_dag("telecom_kpis")
    assert db.execute("select count(*) from audit.load_batches").fetchone() == (1,)
    assert db.execute("select count(*) from raw.ipflow_records").fetchone() == (1,)
    assert db.execute("select * from model_production.top_services_by_traffic order by 1, 2, 4").fetchall() == before


def test_a_changed_file_replaces_its_rows(run_dag, db, landing):
    nine = EIGHT + 12 * FIVE_MINUTES
    deliver(landing, EIGHT, 1, [flow(EIGHT, 1, 100, 0, 1, 10)])
    deliver(landing, EIGHT, 2, [flow(EIGHT, 2, 50, 0, 2, 20)])
    run_dag("telecom_kpis")
    assert kpi1(db, "5-minute", EIGHT) == [(1, 100), (2, 50)]
    # Part 1 is delivered again with other content, for another hour: its old rows must go everywhere.
    path = deliver(landing, EIGHT, 1, [flow(nine, 3, 70, 0, 3, 30)])
    assert path.name == file_name(EIGHT, 1)
    run_dag("telecom_kpis")
    assert kpi1(db, "5-minute", EIGHT) == [(2, 50)]
    assert kpi1(db, "1-hour", EIGHT) == [(2, 50)]
    assert kpi1(db, "5-minute", nine) == [(3, 70)]
    assert db.execute("select count(*) from model_staging.stg_telecom__ipflow").fetchone() == (2,)


def test_a_file_reverted_to_earlier_content_is_loaded_again(run_dag, db, landing):
    deliver(landing, EIGHT, 1, [flow(EIGHT, 1, 100, 0, 1, 10)])
    run_dag("telecom_kpis")
    deliver(landing, EIGHT, 1, [flow(EIGHT, 2, 70, 0, 2, 10)])
    run_dag("telecom_kpis")
    assert kpi1(db, "5-minute", EIGHT) == [(2, 70)]
    deliver(landing, EIGHT, 1, [flow(EIGHT, 1, 100, 0, 1, 10)])  # back to the first content
    run_dag("telecom_kpis")
    assert kpi1(db, "5-minute", EIGHT) == [(1, 100)]
    assert db.execute("select count(*) from audit.load_batches").fetchone() == (3,)


def test_a_late_file_corrects_its_interval_and_hour_only(run_dag, db, landing):
    later = EIGHT + FIVE_MINUTES
    deliver(landing, EIGHT, 1, [flow(EIGHT, 1, 100, 0, 1, 10)])
    deliver(landing, later, 1, [flow(later, 2, 40, 0, 2, 20)])
    run_dag("telecom_kpis")
    # xmin is the transaction that wrote a row version: unchanged xmin means the row was not rewritten.
    untouched_query = (
        "select xmin::text, * from model_production.top_services_by_traffic where interval_name = '5-minute' "
        "and interval_start_at = to_timestamp(%s / 1000.0)"
    )
    untouched = db.execute(untouched_query, (later,)).fetchall()
    assert untouched
    deliver(landing, EIGHT, 2, [flow(EIGHT, 3, 500, 0, 3, 10)])  # late, for 08:00
    run = run_dag("telecom_kpis")
    assert kpi1(db, "5-minute", EIGHT) == [(3, 500), (1, 100)]
    assert kpi1(db, "1-hour", EIGHT) == [(3, 500), (1, 100), (2, 40)]
    assert kpi2(db, "5-minute", EIGHT) == [(10, 2)]
    # The 08:05 interval was not recomputed: its rows are the very same row versions.
    assert db.execute(untouched_query, (later,)).fetchall() == untouched
    assert run.state == "success"


BAD_LINES = [
    ("field_missing", f"{EIGHT},{EIGHT + FIVE_MINUTES},1,10,10,1"),
    ("too_many_fields", f"{EIGHT},{EIGHT + FIVE_MINUTES},1,10,10,1,10,99"),
    ("msisdn_missing", f"{EIGHT},{EIGHT + FIVE_MINUTES},,10,10,1,10"),
    ("bytes_uplink_not_integer", f"{EIGHT},{EIGHT + FIVE_MINUTES},1,1.5,10,1,10"),
    ("bytes_downlink_not_integer", f"{EIGHT},{EIGHT + FIVE_MINUTES},1,10,ten,1,10"),
    ("service_id_not_integer", f"{EIGHT},{EIGHT + FIVE_MINUTES},1,10,10,x,10"),
    ("cell_id_missing", f"{EIGHT},{EIGHT + FIVE_MINUTES},1,10,10,1,"),
    ("interval_start_timestamp_not_integer", f"2017-03-01,{EIGHT + FIVE_MINUTES},1,10,10,1,10"),
    ("bytes_uplink_negative", f"{EIGHT},{EIGHT + FIVE_MINUTES},1,-10,10,1,10"),
    ("bytes_downlink_negative", f"{EIGHT},{EIGHT + FIVE_MINUTES},1,10,-1,1,10"),
    ("interval_not_aligned_5_minutes", f"{EIGHT + 1000},{EIGHT + FIVE_MINUTES + 1000},1,10,10,1,10"),
    ("service_id_not_integer", f"{EIGHT},{EIGHT + FIVE_MINUTES},1,10,10,0x10,10"),
    ("cell_id_not_integer", f"{EIGHT},{EIGHT + FIVE_MINUTES},1,10,10,1,1_000"),
    ("msisdn_not_integer", f"{EIGHT},{EIGHT + FIVE_MINUTES},99999999999999999999,10,10,1,10"),
    ("bytes_uplink_not_integer", f"{EIGHT},{EIGHT + FIVE_MINUTES},1,1-0,10,1,10"),
    # Aligned, but past what a timestamp holds: it would otherwise fail staging and block every later batch.
    ("interval_out_of_range", f"{3 * 10**18},{3 * 10**18 + FIVE_MINUTES},1,10,10,1,10"),
    # The same in digits few enough for the path that plain lines take.
    ("interval_out_of_range", f"{999999999999600000},{999999999999900000},1,10,10,1,10"),
]
# Clean lines that plain lines' path does not take: a 19-digit bigint, spaces around a value, minus zero.
CLEAN_UNPLAIN_LINES = [
    f"{EIGHT},{EIGHT + FIVE_MINUTES},{10**18},10,10,1,10",
    f"{EIGHT},{EIGHT + FIVE_MINUTES}, 1 ,10,10,1,10",
    f"{EIGHT},{EIGHT + FIVE_MINUTES},1,-0,10,1,10",
]


def test_every_kind_of_bad_row_is_rejected_with_its_reason(run_dag, db, landing):
    rows = [
        flow(EIGHT, 1, 10, 10, 1, 10),
        *(line for _, line in BAD_LINES),
        "",
        f"{EIGHT},{EIGHT + 600000},1,1,1,1,1",
        *CLEAN_UNPLAIN_LINES,
    ]
    deliver(landing, EIGHT, 1, rows)
    run_dag("telecom_kpis")
    rejected = dict(db.execute("select source_row_number, rule from audit.rejected_rows").fetchall())
    expected = {number: rule for number, (rule, _) in enumerate(BAD_LINES, start=2)}
    expected[len(BAD_LINES) + 2] = "field_missing"  # a blank line
    expected[len(BAD_LINES) + 3] = "interval_not_aligned_5_minutes"  # ten minutes long
    assert rejected == expected
    record = db.execute("select record from audit.rejected_rows where rule = 'bytes_uplink_negative'").fetchone()[0]
    assert record == {"line": dict(BAD_LINES)["bytes_uplink_negative"]}
    raw, clean, rejected_count = db.execute(
        "select (select count(*) from raw.ipflow_records), (select count(*) from model_staging.stg_telecom__ipflow),"
        " (select count(*) from audit.rejected_rows)"
    ).fetchone()
    assert raw == clean + rejected_count == len(rows)


def test_a_file_with_the_wrong_header_is_refused_whole(run_dag, db, landing):
    (landing / file_name(EIGHT, 1)).write_text("a,b,c\n1,2,3\n")
    deliver(landing, EIGHT, 2, [flow(EIGHT, 1, 10, 10, 1, 10)])
    run_dag("telecom_kpis")
    assert db.execute("select source_name from audit.rejected_files").fetchall() == [(file_name(EIGHT, 1),)]
    assert kpi1(db, "5-minute", EIGHT) == [(1, 20)]


def test_a_run_with_nothing_new_skips_the_rest(run_dag, db, landing):
    deliver(landing, EIGHT, 1, [flow(EIGHT, 1, 10, 10, 1, 10)])
    run_dag("telecom_kpis")
    run = run_dag("telecom_kpis")
    states = {ti.task_id: ti.state for ti in run.get_task_instances()}
    assert states["load_landed_files"] == "success"
    assert states["publish_kpis"] == "skipped"


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"\xff\xfe0000185", "not UTF-8 text"),
        (b"0000185\x00", "a NUL byte"),
    ],
)
def test_a_file_that_is_not_text_is_refused_whole_and_the_files_after_it_load(run_dag, db, landing, content, reason):
    # The repro: a 0xFF or NUL byte in one line used to fail every later run on the same COPY error.
    line = f"{EIGHT},{EIGHT + FIVE_MINUTES},3160".encode() + content + b",10,10,3,1001\n"
    (landing / file_name(EIGHT, 1)).write_bytes((HEADER + "\n").encode() + line)
    deliver(landing, EIGHT, 2, [flow(EIGHT, 1, 10, 10, 1, 10)])

    run_dag("telecom_kpis")

    refused = db.execute("select source_name, reason from audit.rejected_files").fetchall()
    assert [name for name, _ in refused] == [file_name(EIGHT, 1)] and reason in refused[0][1]
    assert kpi1(db, "5-minute", EIGHT) == [(1, 20)]


def test_a_symlink_in_the_landing_folder_is_not_followed(run_dag, db, landing, tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text(HEADER + "\n" + ",".join(map(str, flow(EIGHT, 7, 10, 10, 7, 70))) + "\n")
    (landing / file_name(EIGHT, 1)).symlink_to(outside)
    deliver(landing, EIGHT, 2, [flow(EIGHT, 1, 10, 10, 1, 10)])

    run_dag("telecom_kpis")

    assert db.execute("select source_name from audit.load_batches").fetchall() == [(file_name(EIGHT, 2),)]
    assert kpi1(db, "5-minute", EIGHT) == [(1, 20)]


def test_a_batch_that_fails_staging_is_quarantined_and_the_others_publish(run_dag, db, landing):
    # The rules cover every cast, so no real row fails staging any more; a constraint the rules do not know
    # stands in for whatever they might miss in the future.
    deliver(landing, EIGHT, 1, [flow(EIGHT, 1, 10, 10, 1, 10)])
    run_dag("telecom_kpis")
    db.execute("alter table model_staging.stg_telecom__ipflow add constraint cell_999_unknown check (cell_id <> 999)")
    bad = deliver(landing, EIGHT, 2, [flow(EIGHT, 2, 50, 50, 2, 999)])
    deliver(landing, EIGHT, 3, [flow(EIGHT, 3, 30, 30, 3, 30)])

    run = run_dag("telecom_kpis")

    stage = next(ti for ti in run.get_task_instances() if ti.task_id == "stage_ipflow_records")
    assert stage.try_number == 1, "a batch the data makes fail is quarantined, not retried"
    quarantined = db.execute(
        "select batches.source_name, quarantined.step, quarantined.reason "
        "from audit.quarantined_batches as quarantined join audit.load_batches as batches using (batch_id)"
    ).fetchall()
    assert [(name, step) for name, step, _ in quarantined] == [(bad.name, "stage_ipflow_records")]
    assert "cell_999_unknown" in quarantined[0][2]
    # The others are published; the quarantined file's rows stay in raw as they arrived.
    assert kpi1(db, "5-minute", EIGHT) == [(3, 60), (1, 20)]
    assert db.execute(
        "select count(*) from raw.ipflow_records join audit.load_batches as batches using (batch_id) "
        "where batches.source_name = %s",
        (bad.name,),
    ).fetchone() == (1,)

    # A quarantined batch is not tried again, so it blocks nothing: the next run finds nothing new.
    states = {ti.task_id: ti.state for ti in run_dag("telecom_kpis").get_task_instances()}
    assert states["publish_kpis"] == "skipped"

    # A corrected file is a new batch, and is taken in.
    db.execute("alter table model_staging.stg_telecom__ipflow drop constraint cell_999_unknown")
    deliver(landing, EIGHT, 2, [flow(EIGHT, 2, 50, 50, 2, 20)])
    run_dag("telecom_kpis")
    assert kpi1(db, "5-minute", EIGHT) == [(2, 100), (3, 60), (1, 20)]


def test_a_publication_records_an_asset_event_for_each_table_it_wrote(run_dag, db, landing):
    from airflow.models.asset import AssetEvent
    from airflow.utils.session import create_session

    deliver(landing, EIGHT, 1, [flow(EIGHT, 1, 10, 10, 1, 10)])
    run = run_dag("telecom_kpis")

    with create_session() as session:
        events = session.query(AssetEvent).filter(AssetEvent.source_run_id == run.run_id).all()
        written = {event.asset.name for event in events}
    assert written == {
        "model_production.top_services_by_traffic",
        "model_production.top_cells_by_unique_users",
        "model_production.telecom_published_files",
    }


def test_a_run_reads_only_the_files_that_changed_since_it_last_read_them(run_dag, db, landing, monkeypatch):
    import os

    from warehouse import loading
    from warehouse.domains.telecom.source import load_landing

    first = deliver(landing, EIGHT, 1, [flow(EIGHT, 1, 10, 10, 1, 10)])
    deliver(landing, EIGHT, 2, [flow(EIGHT, 2, 10, 10, 2, 20)])
    run_dag("telecom_kpis")
    hashed = []
    checksum = loading.file_checksum
    monkeypatch.setattr(loading, "file_checksum", lambda path: hashed.append(path.name) or checksum(path))

    # Nothing new: no file is opened.
    assert load_landing(db, landing) == [] and hashed == []
    # A new file is read; so is one touched but unchanged, which loads nothing.
    new = deliver(landing, EIGHT + FIVE_MINUTES, 1, [flow(EIGHT + FIVE_MINUTES, 3, 10, 10, 3, 30)])
    os.utime(first, ns=(first.stat().st_atime_ns, first.stat().st_mtime_ns + 1_000_000_000))
    batches = load_landing(db, landing)
    assert sorted(hashed) == sorted([first.name, new.name])
    assert [
        db.execute("select source_name from audit.load_batches where batch_id = %s", (batch.batch_id,)).fetchone()[0]
        for batch in batches
    ] == [new.name]
    hashed.clear()
    assert load_landing(db, landing) == [] and hashed == []


def test_quarantine_keeps_a_files_newest_version_and_a_broken_step_quarantines_nothing(run_dag, db, landing):
    from warehouse.domains.telecom.source import load_landing

    deliver(landing, EIGHT, 1, [flow(EIGHT, 1, 10, 10, 1, 10)])
    run_dag("telecom_kpis")
    db.execute("alter table model_staging.stg_telecom__ipflow add constraint cell_999_unknown check (cell_id <> 999)")
    # Two versions of one file wait together (a run failed after loading the first), beside a bad file.
    deliver(landing, EIGHT, 3, [flow(EIGHT, 3, 30, 30, 3, 30)])
    load_landing(db, landing)
    deliver(landing, EIGHT, 3, [flow(EIGHT, 3, 40, 40, 3, 30)])
    deliver(landing, EIGHT, 2, [flow(EIGHT, 2, 50, 50, 2, 999)])

    run_dag("telecom_kpis")

    assert kpi1(db, "5-minute", EIGHT) == [(3, 80), (1, 20)]
    assert db.execute("select count(*) from audit.quarantined_batches").fetchone() == (1,)

    # When every file is refused, the fault is the step's: the run fails and nothing more is quarantined.
    db.execute("alter table model_staging.stg_telecom__ipflow add constraint no_rows check (cell_id < 0) not valid")
    deliver(landing, EIGHT, 4, [flow(EIGHT, 4, 10, 10, 4, 40)])
    run_dag("telecom_kpis", expect="failed")
    assert db.execute("select count(*) from audit.quarantined_batches").fetchone() == (1,)
