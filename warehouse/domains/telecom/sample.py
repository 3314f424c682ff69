"""Generate landing folders of IP-flow files, deterministically from a seed.

Like the real feed: `ipflow_data.ts-<epoch_ms>.<part>.txt` files named after the end of their 5-minute
interval, CRLF or LF line ends, and a last line without a newline. Optionally: malformed rows, a late file
for an old interval, and a re-delivered identical file (written again).
"""

import argparse
import datetime as dt
from pathlib import Path

import numpy as np

from warehouse.domains.telecom.contract import HEADER, INTERVAL_MS, file_name

BAD_ROWS = [
    "{start},{end},{msisdn},,100,1,1001",  # a missing field
    "{start},{end},{msisdn},abc,100,1,1001",  # not an integer
    "{start},{end},{msisdn},-5,100,1,1001",  # negative bytes
    "{start_plus},{end},{msisdn},10,100,1,1001",  # not an aligned 5-minute interval
    "{start},{end},{msisdn},10,100,1",  # a field short
]


def write_file(
    path: Path,
    interval_start_ms: int,
    rows: int,
    rng: np.random.Generator,
    *,
    subscribers: int,
    services: int,
    cells: int,
    crlf: bool,
    bad_row_share: float = 0.0,
) -> Path:
    """Write one file of `rows` flows for the interval starting at `interval_start_ms`."""
    end_ms = interval_start_ms + INTERVAL_MS
    msisdn = 31_600_000_000 + rng.integers(0, subscribers, rows)
    uplink = rng.integers(0, 5_000, rows)
    downlink = rng.integers(0, 20_000, rows)
    # Skewed popularity, so the top 3 are meaningful and ties happen on small data.
    service = 1 + np.minimum(rng.geometric(0.25, rows) - 1, services - 1)
    cell = 1000 + np.minimum(rng.geometric(0.1, rows) - 1, cells - 1)
    lines = [
        f"{interval_start_ms},{end_ms},{a},{b},{c},{d},{e}"
        for a, b, c, d, e in zip(
            msisdn.tolist(), uplink.tolist(), downlink.tolist(), service.tolist(), cell.tolist(), strict=True
        )
    ]
    bad = rng.random(rows) < bad_row_share
    for index in np.flatnonzero(bad).tolist():
        template = BAD_ROWS[index % len(BAD_ROWS)]
        lines[index] = template.format(
            start=interval_start_ms, start_plus=interval_start_ms + 1000, end=end_ms, msisdn=msisdn[index]
        )
    newline = "\r\n" if crlf else "\n"
    path.write_bytes((HEADER + newline + newline.join(lines)).encode())
    return path


def write_landing(
    folder: Path,
    *,
    start: str = "2017-03-01T08:00:00+00:00",
    intervals: int = 24,
    files_per_interval: int = 2,
    rows_per_file: int = 500,
    subscribers: int = 300,
    services: int = 12,
    cells: int = 40,
    crlf_share: float = 0.5,
    bad_row_share: float = 0.01,
    late_files: int = 1,
    duplicate_deliveries: int = 1,
    seed: int = 20170301,
) -> list[Path]:
    """Write a landing folder; return the files in delivery order (late and re-delivered files last)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    first_ms = int(dt.datetime.fromisoformat(start).timestamp() * 1000)
    options = dict(subscribers=subscribers, services=services, cells=cells, bad_row_share=bad_row_share)
    written = []
    for interval in range(intervals):
        for part in range(1, files_per_interval + 1):
            interval_start_ms = first_ms + interval * INTERVAL_MS
            path = folder / file_name(interval_start_ms, part)
            crlf = bool(rng.random() < crlf_share)
            written.append(write_file(path, interval_start_ms, rows_per_file, rng, crlf=crlf, **options))
    for late in range(late_files):
        # An extra part for an early interval, delivered after the rest.
        interval_start_ms = first_ms + (late % max(intervals, 1)) * INTERVAL_MS
        path = folder / file_name(interval_start_ms, files_per_interval + 1 + late)
        written.append(write_file(path, interval_start_ms, rows_per_file, rng, crlf=False, **options))
    for copy in range(min(duplicate_deliveries, len(written))):
        # The same file delivered again: written anew (a newer modification time), with the same name and content.
        delivered = written[copy]
        delivered.write_bytes(delivered.read_bytes())
        written.append(delivered)
    return written


def bench_input(folder: Path, rows: int) -> tuple[Path, str, dict]:
    """Write the benchmark's input: one landing folder holding one file of `rows` flows."""
    landing = folder / "landing"
    landing.mkdir(parents=True, exist_ok=True)
    for old in landing.iterdir():
        old.unlink()
    path = write_file(
        landing / file_name(1488355200000, 1),
        1488355200000,
        rows,
        np.random.default_rng(1),
        subscribers=100_000,
        services=50,
        cells=2_000,
        crlf=True,
    )
    return path, "format csv, header", {"landing_dir": str(landing)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m warehouse.domains.telecom.sample", description=__doc__)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--start", default="2017-03-01T08:00:00+00:00")
    parser.add_argument("--intervals", type=int, default=24)
    parser.add_argument("--files-per-interval", type=int, default=2)
    parser.add_argument("--rows-per-file", type=int, default=500)
    parser.add_argument("--subscribers", type=int, default=300)
    parser.add_argument("--services", type=int, default=12)
    parser.add_argument("--cells", type=int, default=40)
    parser.add_argument("--crlf-share", type=float, default=0.5)
    parser.add_argument("--bad-row-share", type=float, default=0.01)
    parser.add_argument("--late-files", type=int, default=1)
    parser.add_argument("--seed", type=int, default=20170301)
    args = parser.parse_args(argv)
    files = write_landing(
        args.folder,
        start=args.start,
        intervals=args.intervals,
        files_per_interval=args.files_per_interval,
        rows_per_file=args.rows_per_file,
        subscribers=args.subscribers,
        services=args.services,
        cells=args.cells,
        crlf_share=args.crlf_share,
        bad_row_share=args.bad_row_share,
        late_files=args.late_files,
        seed=args.seed,
    )
    print(f"wrote {len(set(files))} files to {args.folder}")


if __name__ == "__main__":
    main()
