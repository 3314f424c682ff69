"""The IP-flow file contract: how files are named, and the header they carry."""

import re

FILE_PATTERN = re.compile(r"^ipflow_data\.ts-(\d+)\.(\d+)\.txt$")
HEADER = "interval_start_timestamp,interval_end_timestamp,msisdn,bytes_uplink,bytes_downlink,service_id,cell_id"
INTERVAL_MS = 300_000


def file_name(interval_start_ms: int, part: int) -> str:
    """Name the file of one part of the interval starting at `interval_start_ms` (named after its end)."""
    return f"ipflow_data.ts-{interval_start_ms + INTERVAL_MS}.{part}.txt"
