"""Build voucher files row by row, so each test states exactly the data it depends on."""

import csv
import datetime as dt
from pathlib import Path

# What loading a voucher file writes to: lineage, raw, staged rows and rejects.
LOADING_RELATIONS = [
    "schemas.sql",
    "audit/load_batches.sql",
    "audit/rejected_rows.sql",
    "raw/vouchers/voucher_events.sql",
    "model_staging/vouchers/stg_voucher__events.sql",
    "audit/vouchers/rejected_voucher_events.sql",
]
COLUMNS = ["timestamp", "country_code", "last_order_ts", "first_order_ts", "total_orders", "voucher_amount"]
AS_OF = dt.date(2018, 9, 15)


def event(
    *,
    country_code: str = "Peru",
    total_orders: str = "5.0",
    days_since_last_order: int = 100,
    voucher_amount: str = "2640.0",
    timestamp: str = "2018-07-21 18:50:02.050224",
    first_order_ts: str = "2017-01-01 00:00:00",
    last_order_ts: str | None = None,
) -> dict:
    """Return one source row; by default a clean Peru event in segments 5-13 and 91-120."""
    if last_order_ts is None:
        last_order_ts = (AS_OF - dt.timedelta(days=days_since_last_order)).isoformat()
    return {
        "timestamp": timestamp,
        "country_code": country_code,
        "last_order_ts": last_order_ts,
        "first_order_ts": first_order_ts,
        "total_orders": total_orders,
        "voucher_amount": voucher_amount,
    }


def write_voucher_csv(path: Path, rows: list[dict]) -> Path:
    with open(path, "w", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return path
