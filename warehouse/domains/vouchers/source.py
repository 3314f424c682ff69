"""Extract a voucher file (parquet or CSV, local or http(s)), load it into raw.voucher_events and stage it."""

import datetime as dt
import logging

import psycopg

from warehouse import loading
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
# Load a file into raw as one batch, staging its rows as they load; a file already loaded is not loaded again.
load_file = loading.FileSource(
    SOURCE_KIND,
    RAW_TABLE,
    {column: column for column in SOURCE_COLUMNS},
    landing="vouchers",
    stage="warehouse.domains.vouchers.staging:VoucherStaging",
).load
SAMPLE_ROWS = 200_000


def default_source() -> str:
    """Return VOUCHER_SOURCE, or the generated sample (made on first use)."""
    return str(
        loading.configured_or_sample(
            VOUCHER_SOURCE, "vouchers.parquet", "warehouse.domains.vouchers.sample:write_vouchers", rows=SAMPLE_ROWS
        )
    )


def resolve_as_of(requested: str | None, interval_end: dt.datetime) -> dt.date:
    """Return the snapshot date: the one requested in the run's conf, else the last day the run covers (UTC)."""
    if requested:
        try:
            return dt.date.fromisoformat(str(requested))
        except ValueError as error:
            raise ValueError(f"as_of must be a date as YYYY-MM-DD, got {requested!r}") from error
    return (interval_end.astimezone(dt.UTC) - dt.timedelta(microseconds=1)).date()


def load(connection: psycopg.Connection, context: RunContext) -> dict:
    """Load the run's voucher file into raw as one batch and pick the snapshot date: the work of the models."""
    as_of = resolve_as_of(context.params.get("as_of"), context.interval_end or dt.datetime.now(dt.UTC))
    source = context.params.get("source") or default_source()
    batch = load_file(connection, source, dag_id=context.dag_id, run_id=context.run_id)
    return {"batch_id": batch.batch_id, "batch_ids": [batch.batch_id], "as_of": as_of.isoformat()}
