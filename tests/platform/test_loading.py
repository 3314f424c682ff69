"""COPY loading: lineage, reuse of a file already loaded, and no trace left by a load that fails part way."""

import psycopg
import pytest

from tests.vouchers.factories import LOADING_RELATIONS, event, write_voucher_csv
from warehouse import loading
from warehouse.domains.vouchers import source as vouchers
from warehouse.models import run_statements


@pytest.fixture
def raw_tables(db):
    run_statements(db, LOADING_RELATIONS)
    return db


def test_copy_keeps_lineage(raw_tables, tmp_path):
    source = write_voucher_csv(tmp_path / "v.csv", [event(), event(country_code="")])
    batch = vouchers.load_file(raw_tables, str(source))
    rows = raw_tables.execute(
        "select batch_id, source_row_number, source_name, country_code from raw.voucher_events_with_lineage order by 2"
    ).fetchall()
    assert rows == [(batch.batch_id, 1, str(source), "Peru"), (batch.batch_id, 2, str(source), "")]
    checksum = raw_tables.execute("select source_checksum from audit.load_batches").fetchone()[0]
    assert checksum == loading.file_checksum(source)


def test_a_raw_table_that_kept_lineage_on_every_row_keeps_it_once(db, tmp_path):
    run_statements(db, LOADING_RELATIONS[:3])
    db.execute(
        """
        create table raw.voucher_events (
            batch_id bigint not null, source_row_number bigint not null, "timestamp" text, country_code text,
            last_order_ts text, first_order_ts text, total_orders text, voucher_amount text,
            source_name text not null, loaded_at timestamptz not null
        )
        """
    )
    batch_id = db.execute(
        "insert into audit.load_batches (source_kind, source_name, source_checksum, row_count) "
        "values ('voucher_events', 'old.csv', 'abc', 1) returning batch_id"
    ).fetchone()[0]
    db.execute(
        "insert into raw.voucher_events (batch_id, source_row_number, country_code, source_name, loaded_at) "
        "values (%s, 1, 'Peru', 'old.csv', now())",
        (batch_id,),
    )

    run_statements(db, LOADING_RELATIONS)
    run_statements(db, LOADING_RELATIONS)

    columns = db.execute(
        "select attname from pg_attribute where attrelid = 'raw.voucher_events'::regclass and attnum > 0 "
        "and not attisdropped"
    ).fetchall()
    assert ("source_name",) not in columns and ("loaded_at",) not in columns
    assert db.execute(
        "select batch_id, source_row_number, country_code, source_name from raw.voucher_events_with_lineage"
    ).fetchall() == [(batch_id, 1, "Peru", "old.csv")]

    # A column raw gains later shows in the view too (a view fixes its columns when it is made).
    db.execute("alter table raw.voucher_events add column channel text")
    run_statements(db, LOADING_RELATIONS)
    assert db.execute("select channel, loaded_at is not null from raw.voucher_events_with_lineage").fetchall() == [
        (None, True)
    ]


def test_a_file_already_loaded_is_reused(raw_tables, tmp_path):
    source = write_voucher_csv(tmp_path / "v.csv", [event()])
    first = vouchers.load_file(raw_tables, str(source))
    again = vouchers.load_file(raw_tables, str(source))
    assert (again.batch_id, again.reused, first.reused) == (first.batch_id, True, False)
    assert raw_tables.execute("select count(*) from raw.voucher_events").fetchone() == (1,)


def test_a_database_lost_mid_copy_leaves_nothing_and_a_retry_completes(raw_tables, warehouse_url, tmp_path):
    source = write_voucher_csv(tmp_path / "v.csv", [event()] * 3)
    chunks = list(loading.csv_chunks(source, vouchers.SOURCE_COLUMNS))
    loader = psycopg.connect(warehouse_url, autocommit=True)

    def chunks_then_connection_lost():
        yield chunks[0][: len(chunks[0]) // 2]
        # The server ends the loading session half way through the file.
        raw_tables.execute("select pg_terminate_backend(%s)", (loader.info.backend_pid,))
        yield chunks[0][len(chunks[0]) // 2 :]

    with pytest.raises(psycopg.OperationalError):
        loading.copy_batch(
            loader,
            source_kind="voucher_events",
            source_name=str(source),
            checksum="abc",
            table="raw.voucher_events",
            columns=["source_row_number", *vouchers.SOURCE_COLUMNS],
            chunks=chunks_then_connection_lost(),
        )
    assert raw_tables.execute("select count(*) from audit.load_batches").fetchone() == (0,)
    assert raw_tables.execute("select count(*) from raw.voucher_events").fetchone() == (0,)

    with psycopg.connect(warehouse_url, autocommit=True) as retry:
        batch = vouchers.load_file(retry, str(source))
    assert batch.row_count == 3
    assert raw_tables.execute("select count(*) from raw.voucher_events").fetchone() == (3,)


def test_a_missing_column_is_a_clear_error(raw_tables, tmp_path):
    (tmp_path / "v.csv").write_text("timestamp,country_code\n2018-01-01,Peru\n")
    with pytest.raises(loading.SourceError, match=r"lacks the columns \['last_order_ts'"):
        vouchers.load_file(raw_tables, str(tmp_path / "v.csv"))


def test_a_missing_file_is_a_clear_error(raw_tables, tmp_path):
    with pytest.raises(loading.SourceError, match="source file not found"):
        vouchers.load_file(raw_tables, str(tmp_path / "absent.parquet"))


@pytest.mark.parametrize(
    "content",
    [
        b"PAR1 not really parquet",
        ",".join(vouchers.SOURCE_COLUMNS).encode() + b"\n2018-09-01,Peru,x\n",
    ],
)
def test_a_file_arrow_cannot_read_fails_naming_it(raw_tables, tmp_path, content):
    source = tmp_path / "broken.parquet"
    source.write_bytes(content)
    with pytest.raises(loading.SourceError, match="broken.parquet"):
        vouchers.load_file(raw_tables, str(source))
    assert raw_tables.execute("select count(*) from audit.load_batches").fetchone() == (0,)


def test_a_csv_with_a_byte_order_mark_loads(raw_tables, tmp_path):
    source = write_voucher_csv(tmp_path / "v.csv", [event()])
    source.write_bytes(b"\xef\xbb\xbf" + source.read_bytes())

    batch = vouchers.load_file(raw_tables, str(source))

    assert batch.row_count == 1
    assert raw_tables.execute("select country_code from raw.voucher_events").fetchone() == ("Peru",)
