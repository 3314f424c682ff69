"""Show what writing raw costs by itself: the same voucher rows COPYed (binary, as the loader sends them) into
tables that differ by one property at a time, against the bare COPY of the same file.

Then it COPYs what a voucher run writes, raw as it is, the typed clean rows and the rejects (as the loader's
staging makes them, made beforehand), into tables like the real ones: what the layers cost at least, however
fast the checks.

Run it with `.venv/bin/python bench/raw_copy.py --rows 1000000` (the embedded PostgreSQL must be up). It uses
the bench database, makes the voucher pipeline's tables there if they are missing, and drops its own.
"""

import argparse
import sys
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.pipelines import BENCH_DATABASE, bare_copy  # noqa: E402
from warehouse import config, loading  # noqa: E402
from warehouse.domains.vouchers import sample, source  # noqa: E402

VALUES = ", ".join(f"{name} text" for name in source.SOURCE_COLUMNS).replace("timestamp text", '"timestamp" text')
RAW = "batch_id bigint not null, source_row_number bigint not null, {values}"
EVERY_ROW = (
    "batch_id bigint not null default current_setting('warehouse.batch_id')::bigint, "
    "source_row_number bigint not null, {values}, "
    "source_name text not null default current_setting('warehouse.source_name'), "
    "loaded_at timestamptz not null default now()"
)
# Label -> (DDL, whether the loader sends batch_id).
TABLES = {
    "unlogged, the values and their row numbers": (
        "create unlogged table {table} (source_row_number bigint, {values})",
        False,
    ),
    "logged (written to the WAL too)": ("create table {table} (source_row_number bigint, {values})", False),
    "logged, with the batch on every row": ("create table {table} (" + RAW + ")", True),
    "and raw's block-range index: raw as it is": (
        "create table {table} (" + RAW + "); create index on {table} using brin (batch_id)",
        True,
    ),
    "lineage on every row, from defaults (before)": (
        "create table {table} (" + EVERY_ROW + "); create index on {table} using brin (batch_id)",
        False,
    ),
}


class Captured:
    """Stands in for loading.Copies: keeps what staging submits instead of COPYing it, so that the writes can be
    timed apart from the checks that make them."""

    def __init__(self, connection: psycopg.Connection) -> None:
        self.connection = connection
        self.submitted: list[tuple[str, list[str], object, dict]] = []

    def submit(self, table: str, columns, rows, **encoders) -> None:
        self.submitted.append((table, list(columns), rows, encoders))

    def drain(self) -> None:
        pass


def time_the_writes(connection: psycopg.Connection, batches: list, baseline: float) -> None:
    """COPY what a voucher run writes (raw as it is, the typed clean rows, the rejects) into tables like the real
    ones, without the checks: what the layers cost at least, however fast the checking."""
    from warehouse.domains.vouchers import DOMAIN
    from warehouse.domains.vouchers.staging import VoucherStaging
    from warehouse.models import run_statements
    from warehouse.pipeline import PLATFORM_RELATIONS

    # The real tables, which the ones below are made like.
    run_statements(connection, [*PLATFORM_RELATIONS, *DOMAIN.relations])
    with connection.transaction():
        captured = Captured(connection)
        staging = VoucherStaging(captured, 1)
        for batch in batches:
            staging.take(batch.values, batch.row_numbers)
    raw_tables = [batch.table(1) for batch in batches]
    copies = [("raw.voucher_events", table.schema.names, table, {}) for table in raw_tables] + captured.submitted
    targets = {
        "raw.voucher_events": "create table bench_raw (like raw.voucher_events including all)",
        "model_staging.stg_voucher__events": "create unlogged table bench_staged "
        "(like model_staging.stg_voucher__events including all)",
        "audit.rejected_rows": "create table bench_rejects (like audit.rejected_rows including all)",
    }
    renamed = dict(zip(targets, ["bench_raw", "bench_staged", "bench_rejects"], strict=True))
    spent = dict.fromkeys(targets, 0.0)
    for table in renamed.values():
        connection.execute(f"drop table if exists {table}")
    for ddl in targets.values():
        connection.execute(ddl)
    connection.execute("checkpoint")
    with connection.transaction():
        for table, columns, rows, encoders in copies:
            started = time.perf_counter()
            loading.copy_arrow(connection, loading.copy_statement(renamed[table], columns, "binary"), rows, **encoders)
            spent[table] += time.perf_counter() - started
    for table in renamed.values():
        connection.execute(f"drop table if exists {table}")
    total = sum(spent.values())
    print("what a run writes, COPYed without the checks that make it (the layers' least cost)")
    for table, seconds in spent.items():
        print(f"  {table:<48}{seconds:8.2f} s")
    print(f"  {'all three':<48}{total:8.2f} s = {total / baseline:.1f}x the bare COPY")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=".venv/bin/python bench/raw_copy.py", description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args(argv)
    folder = config.state_dir() / "bench" / "vouchers"
    copy_file, copy_options, params = sample.bench_input(folder, args.rows)
    batches = list(loading.text_batches(Path(params["source"]), source.SOURCE_COLUMNS))
    url = config.with_database(config.admin_url(), BENCH_DATABASE)
    with psycopg.connect(url, autocommit=True) as connection:
        baseline = bare_copy(connection, copy_file, 6, copy_options)
        print(f"{args.rows:,} voucher rows")
        print(f"  {'bare COPY of the CSV file (the baseline)':<48}{baseline:8.2f} s")
        for label, (ddl, sends_batch) in TABLES.items():
            connection.execute("drop table if exists bench_raw_copy")
            connection.execute(ddl.format(table="bench_raw_copy", values=VALUES))
            connection.execute("checkpoint")
            tables = [batch.table(1 if sends_batch else None) for batch in batches]
            statement = loading.copy_statement("bench_raw_copy", tables[0].schema.names, "binary")
            with connection.transaction():
                connection.execute(
                    "select set_config('warehouse.batch_id', '1', true), set_config('warehouse.source_name', %s, true)",
                    (params["source"],),
                )
                started = time.perf_counter()
                for table in tables:
                    loading.copy_arrow(connection, statement, table)
                print(f"  {label:<48}{time.perf_counter() - started:8.2f} s")
        connection.execute("drop table if exists bench_raw_copy")
        time_the_writes(connection, batches, baseline)
    return 0


if __name__ == "__main__":
    sys.exit(main())
