"""Time how long a telecom run spends deciding what is new, in a landing folder that already holds many loaded
files: the cost must follow the new files, not the folder's history.

Run it with `.venv/bin/python bench/incremental.py --files 10000` (the embedded server must be up:
`.venv/bin/python -m warehouse.server start`). It writes a landing folder of `--files` generated files, loads them
all once with the DAG's loader into the `warehouse_bench_incremental` database, then times, in the same run:

- a run that finds nothing new (what every five-minute run costs while nothing lands);
- a run that finds one new file and loads it;
- the baseline: how a run decided before files were skipped on their unchanged size and modification time,
  reading and hashing every file and looking each content up;
- the models (staging, the KPIs, the checks, publication) once over the whole history, then for the one new
  file: recomputation must follow the intervals a file touches, not the history. `--files 17280` is 30 days of
  five-minute intervals (two files per interval).

Results go to stdout and bench/results/incremental-<UTC timestamp>.json.
"""

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import psycopg

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.pipelines import RESULTS, fresh_database, run_checks, timed  # noqa: E402
from warehouse import config, loading  # noqa: E402
from warehouse.bootstrap import bootstrap  # noqa: E402
from warehouse.domains.telecom import DOMAIN  # noqa: E402
from warehouse.domains.telecom.contract import file_name  # noqa: E402
from warehouse.domains.telecom.sample import INTERVAL_MS, write_file, write_landing  # noqa: E402
from warehouse.domains.telecom.source import SOURCE_KIND, landed_files, load_landing, pending_batches  # noqa: E402
from warehouse.models import run_statements, run_step  # noqa: E402
from warehouse.pipeline import PLATFORM_RELATIONS  # noqa: E402

DATABASE = "warehouse_bench_incremental"
READER_ROLE = "warehouse_bench_reader"
FIRST_MS = 1488355200000


def decide_by_content(connection: psycopg.Connection, path: Path) -> bool:
    """How a run decided before: hash the file, then look its content up among the loaded and refused ones."""
    checksum = loading.file_checksum(path)
    return bool(
        loading.latest_batch(connection, SOURCE_KIND, path.name, checksum)
        or connection.execute(
            "select 1 from audit.rejected_files where source_kind = %s and source_name = %s and source_checksum = %s",
            (SOURCE_KIND, path.name, checksum),
        ).fetchone()
    )


def run_models(connection: psycopg.Connection) -> tuple[float, int]:
    """Run the DAG's model steps, checks and publication over the pending batches; return seconds and batches."""
    work = {"batch_ids": pending_batches(connection)}

    def models() -> None:
        for step in DOMAIN.modelling:
            run_step(connection, step.models, work, DOMAIN.sql_dir)
        run_checks(connection, DOMAIN, work)
        run_step(connection, DOMAIN.publish.models, work, DOMAIN.sql_dir)

    seconds, _ = timed(models)
    return seconds, len(work["batch_ids"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/incremental.py", description=__doc__)
    parser.add_argument("--files", type=int, default=10_000, help="files already loaded in the landing folder")
    parser.add_argument("--rows-per-file", type=int, default=200)
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    folder = config.state_dir() / "bench" / "incremental" / "landing"
    for old in folder.glob("*.txt") if folder.exists() else []:
        old.unlink()
    intervals = args.files // 2
    print(f"==> writing {intervals * 2:,} files of {args.rows_per_file} rows to {folder}")
    write_landing(
        folder,
        intervals=intervals,
        rows_per_file=args.rows_per_file,
        bad_row_share=0,
        late_files=0,
        duplicate_deliveries=0,
    )
    url = fresh_database(DATABASE)
    bootstrap(url, "bench", READER_ROLE)
    with psycopg.connect(url, autocommit=True) as connection:
        run_statements(connection, [*PLATFORM_RELATIONS, *DOMAIN.relations], DOMAIN.sql_dir)
        print("==> loading them all once (the folder's history)")
        history_seconds, history = timed(lambda: load_landing(connection, folder))
        print(f"    {len(history):,} files in {history_seconds:.1f} s")
        history_models_seconds, _ = run_models(connection)
        print(f"    their models (staging, KPIs, checks, publication) in {history_models_seconds:.1f} s")

        nothing_new_seconds, nothing = timed(lambda: load_landing(connection, folder))
        assert nothing == [], "an unchanged folder loaded something"
        hash_all_seconds, _ = timed(lambda: [decide_by_content(connection, path) for path in landed_files(folder)])

        new_ms = FIRST_MS + intervals * INTERVAL_MS
        write_file(
            folder / file_name(new_ms, 1),
            new_ms,
            args.rows_per_file,
            np.random.default_rng(1),
            subscribers=300,
            services=12,
            cells=40,
            crlf=False,
        )
        one_new_seconds, loaded = timed(lambda: load_landing(connection, folder))
        assert len(loaded) == 1, f"expected the one new file, loaded {len(loaded)}"
        one_new_models_seconds, staged = run_models(connection)
        assert staged == 1, f"expected to stage the one new file's batch, staged {staged}"

    result = {
        "files_in_folder": len(history) + 1,
        "rows_per_file": args.rows_per_file,
        "history_load_seconds": round(history_seconds, 2),
        "nothing_new_seconds": round(nothing_new_seconds, 3),
        "one_new_file_seconds": round(one_new_seconds, 3),
        "hash_and_look_up_every_file_seconds": round(hash_all_seconds, 3),
        "history_models_seconds": round(history_models_seconds, 2),
        "one_new_file_models_seconds": round(one_new_models_seconds, 3),
    }
    print(f"==> deciding what is new among {len(history):,} loaded files")
    print(f"    nothing new:            {nothing_new_seconds:8.3f} s")
    print(f"    one new file (loaded):  {one_new_seconds:8.3f} s")
    print(f"    before: hash and look up every file: {hash_all_seconds:8.3f} s")
    print("==> recomputing")
    print(f"    the whole history:      {history_models_seconds:8.3f} s")
    print(f"    one new file:           {one_new_models_seconds:8.3f} s")
    args.results.mkdir(parents=True, exist_ok=True)
    (args.results / f"incremental-{time.strftime('%Y%m%dT%H%M%S')}.json").write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
