"""Staging while loading: every value means what PostgreSQL says it means, copies are found across record
batches, and a batch whose staged rows are gone is staged again from raw."""

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.vouchers.factories import LOADING_RELATIONS, event, write_voucher_csv
from warehouse import loading
from warehouse.domains.vouchers import source as vouchers
from warehouse.domains.vouchers import staging
from warehouse.duplicates import DuplicateFinder
from warehouse.models import run_statements

# The cleaning rules as PostgreSQL states them, value by value, over raw: what the loader's staging must match.
REFERENCE = """
with trimmed as (
    select
        source_row_number,
        nullif(trim("timestamp"), '') as event_ts,
        nullif(trim(country_code), '') as country_code,
        nullif(trim(first_order_ts), '') as first_order_ts,
        nullif(trim(last_order_ts), '') as last_order_ts,
        nullif(trim(total_orders), '') as total_orders,
        nullif(trim(voucher_amount), '') as voucher_amount
    from raw.voucher_events
),

parsed as (
    select
        trimmed.*,
        case when ascii(event_ts) between 48 and 57 and pg_input_is_valid(event_ts, 'timestamptz')
            then event_ts::timestamptz end as event_at,
        case when ascii(first_order_ts) between 48 and 57 and pg_input_is_valid(first_order_ts, 'timestamptz')
            then first_order_ts::timestamptz end as first_order_at,
        case when ascii(last_order_ts) between 48 and 57 and pg_input_is_valid(last_order_ts, 'timestamptz')
            then last_order_ts::timestamptz end as last_order_at,
        case when pg_input_is_valid(total_orders, 'numeric') and strpos(lower(total_orders), 'n') = 0
            then total_orders::numeric end as orders,
        case when pg_input_is_valid(voucher_amount, 'numeric') and strpos(lower(voucher_amount), 'n') = 0
            then voucher_amount::numeric end as amount
    from trimmed
)

select
    source_row_number,
    case
        when country_code is null then 'country_code_missing'
        when voucher_amount is null then 'voucher_amount_missing'
        when amount is null then 'voucher_amount_not_a_number'
        when amount < 0 then 'voucher_amount_negative'
        when total_orders is null then 'total_orders_missing'
        when orders is null then 'total_orders_not_a_number'
        when orders < 0 then 'total_orders_negative'
        when orders <> trunc(orders) then 'total_orders_not_whole'
        when orders > 2147483647 then 'total_orders_out_of_range'
        when event_ts is null then 'timestamp_missing'
        when event_at is null then 'timestamp_unparseable'
        when first_order_ts is null then 'first_order_ts_missing'
        when first_order_at is null then 'first_order_ts_unparseable'
        when last_order_ts is null then 'last_order_ts_missing'
        when last_order_at is null then 'last_order_ts_unparseable'
        when last_order_at < first_order_at then 'last_order_before_first_order'
        when orders = 0 then 'zero_orders_with_order_dates'
    end as rule,
    -- As text: Python's dates stop at year 1, PostgreSQL's reach 4713 BC.
    event_at::text,
    country_code,
    first_order_at::text,
    last_order_at::text,
    (last_order_at at time zone 'UTC')::date::text as last_order_date,
    orders,
    -- As text: the scale counts (5.5 is not 5.50).
    amount::text
from parsed
order by source_row_number
"""

STAGED = """
select
    source_row_number, rule, event_at::text, country_code, first_order_at::text, last_order_at::text,
    last_order_date::text, total_orders::numeric, voucher_amount::text
from model_staging.stg_voucher__events
full join (
    select source_row_number, rule from audit.rejected_rows where source_kind = 'voucher_events'
) as rejected using (source_row_number)
order by source_row_number
"""

NUMBERS = [
    "2.0", " 2.0 ", "\t2.0", "+5", ".5", "5.", "1e3", "1E3", "-0", "-0.0", "0.00", "00012", "2147483647",
    "2147483648", "99999999999", "1_000", "0x1A", " NaN", "inf", "-Infinity", "2.50", "1.5e-1", ".", "+", "-",
    "--1", "1.2.3", "١٢", "0000000000002147483647", "3.0000000000000000001",
    # Longer than an Arrow decimal's 38 digits, and than a plain number Arrow reads.
    "1" * 40, "0." + "1" * 39, "9" * 37 + ".5", "1." + "0" * 1200, "NaN", "5.5", "1.125", "12",
]  # fmt: skip
TIMESTAMPS = [
    "2018-07-21 18:59:21.102761", "2018-07-21 18:59:21+02", "2018-07-21T18:59:21", "July 21 2018", "2018-02-30",
    "2016-02-29", "2018-04-20 24:00:00", "2018-04-20 23:59:60", "20180721", "2018-07-21 18:59:21.1234567",
    "0000-01-01", "1969-12-31 23:00:00", "2018-07-21 18:59", "  2018-07-21  ", "2018-07-21\t", "0044-03-15 BC",
    "allballs", "2018-07-21 18:59:21 UTC", "2018-7-1", "1999-12-31 23:59:59.999999", "2018-07-21 25:00:00",
    "1900-02-29", "2000-02-29", "2018-04-31", "0001-01-01", "9999-12-31 23:59:59.999999", "2018-12-31T23:59:59.5",
]  # fmt: skip


def tricky_rows() -> list[dict]:
    rows = [event(total_orders=value) for value in NUMBERS]
    rows += [event(voucher_amount=value) for value in NUMBERS]
    rows += [event(timestamp=value) for value in TIMESTAMPS]
    rows += [event(first_order_ts=value, last_order_ts="2018-07-22") for value in TIMESTAMPS]
    rows += [event(last_order_ts=value, first_order_ts="1900-01-01") for value in TIMESTAMPS]
    rows += [event(country_code=value) for value in ("  Peru  ", "\tPeru", " ", "Perú", 'Pe"ru\\', "NA", "Pe\nru")]
    # Before year 1, with an amount too long for a decimal.
    rows.append(event(last_order_ts="0044-03-15 BC", first_order_ts="0050-01-01 BC", voucher_amount="1" * 40))
    return rows


@pytest.fixture
def voucher_tables(db):
    run_statements(db, LOADING_RELATIONS)
    return db


# Read value by value (0), and once per distinct value wherever a column repeats any (1).
@pytest.mark.parametrize("few", [0, 1])
def test_staging_reads_every_value_as_postgresql_does(voucher_tables, tmp_path, monkeypatch, few):
    from warehouse.domains.vouchers import staging

    monkeypatch.setattr(staging, "FEW", few)
    source = write_voucher_csv(tmp_path / "tricky.csv", tricky_rows())
    vouchers.load_file(voucher_tables, str(source))

    staged = voucher_tables.execute(STAGED).fetchall()
    reference = voucher_tables.execute(REFERENCE).fetchall()

    assert len(staged) == len(tricky_rows())
    for ours, theirs in zip(staged, reference, strict=True):
        if theirs[1] is None:
            assert ours == theirs
        else:
            assert ours[:2] == theirs[:2]


def test_a_rejected_row_keeps_each_value_as_it_arrived(voucher_tables, tmp_path):
    row = event(country_code='Pe"ru\\\u0007', total_orders=" two ")
    row["timestamp"] = None
    source = tmp_path / "odd.parquet"
    pq.write_table(pa.Table.from_pylist([row]), source)
    vouchers.load_file(voucher_tables, str(source))

    record = voucher_tables.execute("select record from audit.rejected_rows").fetchone()[0]
    assert record == {**row, "timestamp": None}


def test_the_first_rejects_of_each_rule_keep_their_record_and_every_reject_shows_its_row(
    voucher_tables, tmp_path, monkeypatch
):
    rows = [event(total_orders=f"x{number}") for number in range(5)] + [event(country_code="")] * 2
    source = tmp_path / "v.parquet"
    pq.write_table(pa.Table.from_pylist(rows), source)
    # One row per record batch: the later batches' rejects of a rule already sampled keep no record.
    monkeypatch.setattr(loading, "BATCH_ROWS", 1)
    batch = vouchers.load_file(voucher_tables, str(source))

    kept = voucher_tables.execute(
        "select rule, source_row_number, record is not null from audit.rejected_rows order by source_row_number"
    ).fetchall()
    assert kept == [
        *(("total_orders_not_a_number", number, number <= staging.SAMPLES) for number in range(1, 6)),
        ("country_code_missing", 6, True),
        ("duplicate_row", 7, True),
    ]
    shown = voucher_tables.execute(
        "select batch_id, source_row_number, rule, total_orders from audit.rejected_voucher_events "
        "order by source_row_number"
    ).fetchall()
    assert shown[:5] == [(batch.batch_id, number + 1, "total_orders_not_a_number", f"x{number}") for number in range(5)]
    assert len(shown) == 7


def test_a_timestamp_past_64_bit_microseconds_is_unparseable_and_the_load_goes_on(voucher_tables, tmp_path):
    # PostgreSQL takes timestamps up to 294276 AD; the loader's microseconds reach 294246 AD.
    source = write_voucher_csv(tmp_path / "far.csv", [event(last_order_ts="294270-01-01"), event()])
    vouchers.load_file(voucher_tables, str(source))
    assert voucher_tables.execute("select source_row_number, rule from audit.rejected_rows").fetchall() == [
        (1, "last_order_ts_unparseable")
    ]


def test_a_copy_is_found_whatever_the_values_beside_it(monkeypatch):
    from warehouse import duplicates

    finder = DuplicateFinder()
    assert finder.copies([pa.array(["a", "b"]), pa.array(["x", "y"])]).tolist() == [False, False]
    # A longer value beside it, and a value long enough to be hashed apart.
    assert finder.copies([pa.array(["a", "b" * 20]), pa.array(["x", "y"])]).tolist() == [True, False]
    assert finder.copies([pa.array(["z" * 200, "c"]), pa.array(["x", "x"])]).tolist() == [False, False]
    assert finder.copies([pa.array(["z" * 200]), pa.array(["x"])]).tolist() == [True]
    # In one batch hashed in several slices, one of them with a longer value.
    monkeypatch.setattr(duplicates, "SLICE_ROWS", 16)
    values = [f"v{number}" for number in range(100)]
    values[0], values[70] = "w" * 20, values[5]
    assert DuplicateFinder().copies([pa.array(values)]).nonzero()[0].tolist() == [70]


def test_copies_are_found_across_record_batches():
    finder = DuplicateFinder()
    first = [pa.array(["a", "ab", None, ""]), pa.array(["bc", "c", "x", "x"])]
    second = [pa.array(["ab", "a", "", None, "a"]), pa.array(["c", "bc", "x", "x", "bc"])]
    assert finder.copies(first).tolist() == [False, False, False, False]
    # Values that trade bytes between columns, or a null and an empty string, are not copies.
    assert finder.copies([pa.array(["abc"]), pa.array([""])]).tolist() == [False]
    assert finder.copies(second).tolist() == [True, True, True, True, True]


@pytest.mark.parametrize(
    "lost",
    [
        # A crash empties the unlogged staged table, and leaves the rejects.
        ["model_staging.stg_voucher__events"],
        ["model_staging.stg_voucher__events", "audit.rejected_rows"],
    ],
)
def test_a_batch_whose_staged_rows_are_gone_is_staged_again_from_raw(voucher_tables, tmp_path, lost):
    source = write_voucher_csv(tmp_path / "v.csv", tricky_rows())
    batch = vouchers.load_file(voucher_tables, str(source))
    staged = voucher_tables.execute(STAGED).fetchall()
    for table in lost:
        voucher_tables.execute(f"delete from {table}")  # noqa: S608 - a table named above

    again = vouchers.load_file(voucher_tables, str(source))

    assert (again.batch_id, again.reused) == (batch.batch_id, True)
    assert voucher_tables.execute(STAGED).fetchall() == staged
    assert voucher_tables.execute("select count(*) from raw.voucher_events").fetchone() == (len(tricky_rows()),)


def test_copies_in_a_large_file_are_each_found_once(voucher_tables, tmp_path, monkeypatch):
    monkeypatch.setattr(loading, "BATCH_ROWS", 7)
    rows = [event(voucher_amount=str(1000 + number % 13)) for number in range(60)]
    source = tmp_path / "v.parquet"
    pq.write_table(pa.Table.from_pylist(rows), source)
    vouchers.load_file(voucher_tables, str(source))
    duplicates = voucher_tables.execute(
        "select source_row_number from audit.rejected_rows where rule = 'duplicate_row' order by 1"
    ).fetchall()
    assert [number for (number,) in duplicates] == list(range(14, 61))


def test_a_load_that_fails_while_staging_leaves_nothing(voucher_tables, tmp_path, monkeypatch):
    from warehouse.domains.vouchers import staging

    source = tmp_path / "v.parquet"
    pq.write_table(pa.Table.from_pylist([event(voucher_amount=str(1000 + number)) for number in range(30)]), source)
    monkeypatch.setattr(loading, "BATCH_ROWS", 10)
    take = staging.VoucherStaging.take

    def take_then_fail(self, values, row_numbers):
        if row_numbers[0].as_py() > 10:
            raise RuntimeError("staging failed")
        take(self, values, row_numbers)

    monkeypatch.setattr(staging.VoucherStaging, "take", take_then_fail)
    with pytest.raises(RuntimeError, match="staging failed"):
        vouchers.load_file(voucher_tables, str(source))

    for table in (
        "audit.load_batches",
        "raw.voucher_events",
        "model_staging.stg_voucher__events",
        "audit.rejected_rows",
    ):
        assert voucher_tables.execute(f"select count(*) from {table}").fetchone() == (0,), table  # noqa: S608


def test_copies_match_a_set_of_the_rows_seen_over_many_batches():
    import numpy as np

    rng = np.random.default_rng(20180915)
    finder, seen = DuplicateFinder(), set()
    for _ in range(40):
        rows = [(str(first), None if second == 0 else str(second)) for first, second in rng.integers(0, 60, (300, 2))]
        expected = []
        for row in rows:
            expected.append(row in seen)
            seen.add(row)
        columns = [pa.array([row[0] for row in rows]), pa.array([row[1] for row in rows], pa.string())]
        assert finder.copies(columns).tolist() == expected
