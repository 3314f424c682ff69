"""The voucher sample generator is deterministic and reproduces the real file's quirks."""

import pyarrow.compute as pc
import pyarrow.parquet as pq

from warehouse.domains.vouchers.sample import voucher_table, write_vouchers
from warehouse.domains.vouchers.source import SOURCE_COLUMNS


def test_voucher_generator_is_deterministic_at_any_size(tmp_path):
    first = write_vouchers(tmp_path / "a.parquet", rows=2_500_000 // 100)
    second = write_vouchers(tmp_path / "b.parquet", rows=2_500_000 // 100)
    assert pq.read_table(first).equals(pq.read_table(second))
    assert pq.read_table(first).num_rows == 25_000
    assert not voucher_table(1000, seed=1).equals(voucher_table(1000, seed=2))


def test_voucher_generator_reproduces_the_real_quirks():
    table = voucher_table(50_000)
    assert table.schema.names == SOURCE_COLUMNS
    orders = table["total_orders"].to_pylist()
    assert "" in orders and "0.0" in orders and "2.0" in orders
    assert table["voucher_amount"].null_count > 0
    assert len(set(table["country_code"].to_pylist())) == 4
    rows = table.to_pylist()
    assert len({tuple(row.values()) for row in rows}) < len(rows)  # exact duplicates
    assert pc.any(pc.less(table["last_order_ts"], table["first_order_ts"].cast("string"))).as_py()


def test_voucher_generator_writes_csv_too(tmp_path):
    path = write_vouchers(tmp_path / "v.csv", rows=100)
    assert path.read_text().splitlines()[0] == (
        '"timestamp","country_code","last_order_ts","first_order_ts","total_orders","voucher_amount"'
    )
