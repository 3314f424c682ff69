"""Extract a voucher file (parquet or CSV, local or http(s)) and load it into raw.voucher_events."""

import datetime as dt
import io
import logging
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pyarrow as pa

from warehouse import config, loading
from warehouse.domain import RunContext
from warehouse.domains.vouchers import VOUCHER_SOURCE

log = logging.getLogger(__name__)

SOURCE_KIND = "voucher_events"
RAW_TABLE = "raw.voucher_events"
SOURCE_COLUMNS = [
    "timestamp",
    "country_code",
    "last_order_ts",
    "first_order_ts",
    "total_orders",
    "voucher_amount",
]
SAMPLE_ROWS = 200_000
BATCH_ROWS = 250_000


def default_source() -> str:
    """Return VOUCHER_SOURCE, or the generated sample (made on first use)."""
    configured = VOUCHER_SOURCE.value()
    if configured:
        return configured
    sample_path = config.state_dir() / "samples" / "vouchers.parquet"
    if not sample_path.exists():
        from warehouse.domains.vouchers.sample import write_vouchers

        write_vouchers(sample_path, rows=SAMPLE_ROWS)
    return str(sample_path)


def resolve_as_of(requested: str | None, interval_end: dt.datetime) -> dt.date:
    """Return the snapshot date: the one requested in the run's conf, else the last day the run covers (UTC)."""
    if requested:
        try:
            return dt.date.fromisoformat(str(requested))
        except ValueError as error:
            raise ValueError(f"as_of must be a date as YYYY-MM-DD, got {requested!r}") from error
    return (interval_end.astimezone(dt.UTC) - dt.timedelta(microseconds=1)).date()


def _is_parquet(path: Path) -> bool:
    with open(path, "rb") as source:
        return source.read(4) == b"PAR1"


def _record_batches(path: Path) -> Iterator[pa.RecordBatch]:
    if _is_parquet(path):
        import pyarrow.parquet as pq

        parquet = pq.ParquetFile(path)
        missing = set(SOURCE_COLUMNS) - set(parquet.schema_arrow.names)
        if missing:
            raise ValueError(f"{path} lacks the voucher columns {sorted(missing)}")
        yield from parquet.iter_batches(batch_size=BATCH_ROWS, columns=SOURCE_COLUMNS)
        return

    import csv

    import pyarrow.csv as pcsv

    with open(path, newline="", encoding="utf-8", errors="replace") as source:
        header = next(csv.reader(source), [])
    missing = set(SOURCE_COLUMNS) - {name.strip() for name in header}
    if missing:
        raise ValueError(f"{path} lacks the voucher columns {sorted(missing)}")
    # Every column is read as text, as raw keeps it; blank fields stay blank strings.
    reader = pcsv.open_csv(
        path,
        read_options=pcsv.ReadOptions(block_size=64 * 1024 * 1024),
        convert_options=pcsv.ConvertOptions(
            column_types={column: pa.string() for column in SOURCE_COLUMNS},
            include_columns=SOURCE_COLUMNS,
            strings_can_be_null=False,
        ),
    )
    yield from reader


def csv_chunks(path: Path) -> Iterator[bytes]:
    """Yield the file as CSV for COPY: a source row number, then the source columns as text."""
    import pyarrow.csv as pcsv

    next_row_number = 1
    for record_batch in _record_batches(path):
        row_numbers = pa.array(range(next_row_number, next_row_number + record_batch.num_rows), pa.int64())
        next_row_number += record_batch.num_rows
        columns = [row_numbers] + [record_batch.column(name).cast(pa.string()) for name in SOURCE_COLUMNS]
        table = pa.Table.from_arrays(columns, names=["source_row_number", *SOURCE_COLUMNS])
        buffer = io.BytesIO()
        pcsv.write_csv(table, buffer, pcsv.WriteOptions(include_header=False))
        yield buffer.getvalue()


def load(connection: psycopg.Connection, context: RunContext) -> dict:
    """Load the run's voucher file into raw as one batch and pick the snapshot date: the work of the models."""
    as_of = resolve_as_of(context.params.get("as_of"), context.interval_end or dt.datetime.now(dt.UTC))
    source = context.params.get("source") or default_source()
    batch = load_file(connection, source, dag_id=context.dag_id, run_id=context.run_id)
    return {"batch_id": batch.batch_id, "batch_ids": [batch.batch_id], "as_of": as_of.isoformat()}


def load_file(
    connection: psycopg.Connection,
    source: str,
    *,
    landing_dir: Path | None = None,
    dag_id: str | None = None,
    run_id: str | None = None,
) -> loading.Batch:
    """Load `source` into raw as one batch; a file already loaded is not loaded again."""
    path = loading.fetch(source, landing_dir or config.state_dir() / "landing" / "vouchers")
    checksum = loading.file_checksum(path)
    existing = loading.latest_batch(connection, SOURCE_KIND, source, checksum)
    if existing is not None:
        log.info("%s (sha256 %s) is already batch %d; not loading it again", source, checksum, existing.batch_id)
        return existing
    return loading.copy_batch(
        connection,
        source_kind=SOURCE_KIND,
        source_name=source,
        checksum=checksum,
        table=RAW_TABLE,
        columns=["source_row_number", *SOURCE_COLUMNS],
        chunks=csv_chunks(path),
        dag_id=dag_id,
        run_id=run_id,
    )
