"""Generate voucher-use files with the real file's schema and quirks, deterministically from a seed.

Quirks reproduced: `total_orders` as text ("2.0", "0.0" and blank), `last_order_ts` as a date string,
`first_order_ts` as a timestamp, null voucher amounts, exact duplicate rows, events from other years,
customers whose last order precedes their first, and several countries with their own preferred amounts.
"""

import argparse
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

COUNTRIES = ["Peru", "Latvia", "China", "Australia"]
COUNTRY_WEIGHTS = [0.16, 0.22, 0.35, 0.27]
AMOUNTS = np.array([1540.0, 1760.0, 2200.0, 2640.0, 3080.0, 3520.0, 4400.0, 5720.0, 8800.0, 11000.0, 13200.0])
CHUNK_ROWS = 1_000_000


def _amount_weights(country_index: int) -> np.ndarray:
    # Each country prefers a different amount, so answers differ between countries.
    weights = np.linspace(1.0, 0.3, len(AMOUNTS))
    return np.roll(weights, country_index * 3) / np.roll(weights, country_index * 3).sum()


def voucher_table(rows: int, seed: int = 20180915) -> pa.Table:
    """Return `rows` voucher events; the same rows and seed always give the same table."""
    rng = np.random.default_rng(seed)
    unique_rows = max(1, int(rows * 0.99))

    country_index = rng.choice(len(COUNTRIES), size=unique_rows, p=COUNTRY_WEIGHTS)
    amounts = np.empty(unique_rows)
    for index in range(len(COUNTRIES)):
        chosen = country_index == index
        amounts[chosen] = rng.choice(AMOUNTS, size=int(chosen.sum()), p=_amount_weights(index))

    first_order = np.datetime64("2016-01-01") + rng.integers(0, 960, unique_rows).astype("timedelta64[D]")
    last_order = first_order + rng.integers(0, 420, unique_rows).astype("timedelta64[D]")
    last_order = np.minimum(last_order, np.datetime64("2018-09-14"))
    inconsistent = rng.random(unique_rows) < 0.005
    last_order[inconsistent] = first_order[inconsistent] - np.timedelta64(3, "D")

    event_at = np.datetime64("2018-05-01T00:00:00", "us") + rng.integers(0, 150 * 86_400_000_000, unique_rows).astype(
        "timedelta64[us]"
    )
    stale = rng.random(unique_rows) < 0.002
    event_at[stale] = event_at[stale] - np.timedelta64(3 * 365, "D")

    orders = np.minimum(rng.geometric(0.09, unique_rows), 60)
    orders_text = pc.binary_join_element_wise(pa.array(orders).cast(pa.string()), ".0", "")
    quirk = rng.random(unique_rows)
    orders_text = pc.if_else(pa.array(quirk < 0.08), "", orders_text)
    orders_text = pc.if_else(pa.array((quirk >= 0.08) & (quirk < 0.20)), "0.0", orders_text)

    amount_array = pa.array(amounts, mask=rng.random(unique_rows) < 0.006)

    table = pa.table(
        {
            "timestamp": pa.array(event_at).cast(pa.string()),
            "country_code": pa.array(np.array(COUNTRIES)[country_index]),
            "last_order_ts": pa.array(last_order).cast(pa.string()),
            "first_order_ts": pa.array(first_order.astype("datetime64[ms]")),
            "total_orders": orders_text,
            "voucher_amount": amount_array,
        }
    )
    duplicates = rows - unique_rows
    if duplicates:
        copies = table.take(pa.array(rng.integers(0, unique_rows, duplicates)))
        order = rng.permutation(rows)
        table = pa.concat_tables([table, copies]).take(pa.array(order))
    return table


def write_vouchers(path: Path, rows: int, seed: int = 20180915) -> Path:
    """Write `rows` events to `path`: parquet unless the name ends in .csv."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    written = 0
    chunk_seed = seed
    if path.suffix == ".csv":
        import pyarrow.csv as pcsv

        writer = None
        while written < rows:
            chunk = voucher_table(min(CHUNK_ROWS, rows - written), chunk_seed)
            if writer is None:
                writer = pcsv.CSVWriter(partial, chunk.schema)
            writer.write_table(chunk)
            written += chunk.num_rows
            chunk_seed += 1
        writer.close()
    else:
        import pyarrow.parquet as pq

        writer = None
        while written < rows:
            chunk = voucher_table(min(CHUNK_ROWS, rows - written), chunk_seed)
            if writer is None:
                writer = pq.ParquetWriter(partial, chunk.schema, compression="gzip")
            writer.write_table(chunk)
            written += chunk.num_rows
            chunk_seed += 1
        writer.close()
    partial.replace(path)
    return path


def bench_input(folder: Path, rows: int) -> tuple[Path, str, dict]:
    """Write the benchmark's input: the parquet file the pipeline loads, and the same rows as CSV for a bare COPY."""
    parquet = write_vouchers(folder / f"vouchers-{rows}.parquet", rows=rows)
    csv = write_vouchers(folder / f"vouchers-{rows}.csv", rows=rows)
    return csv, "format csv, header", {"source": str(parquet), "as_of": "2018-09-15"}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m warehouse.domains.vouchers.sample", description=__doc__)
    parser.add_argument("path", type=Path, help="output file: .parquet (default) or .csv")
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=20180915)
    args = parser.parse_args(argv)
    write_vouchers(args.path, args.rows, args.seed)
    print(f"wrote {args.rows} voucher events to {args.path}")


if __name__ == "__main__":
    main()
