"""Time each pipeline against a bare COPY of the same file, in the same run on the same server.

Run it with `./quickstart bench`. The models run through the same SQL files the DAGs use, outside Airflow,
so the figures leave out Airflow's per-task start-up. Results go to stdout and bench/results/.
"""

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import psycopg
from psycopg import ClientCursor

from warehouse import config, telecom, vouchers
from warehouse.bootstrap import bootstrap
from warehouse.config import SQL_DIR
from warehouse.generate.telecom import write_file
from warehouse.generate.vouchers import write_vouchers
from warehouse.loading import run_sql_file
from warehouse.relations import TELECOM_RELATIONS, VOUCHER_RELATIONS

BENCH_DATABASE = "warehouse_bench"
RESULTS = Path(__file__).parent / "results"


def timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def bare_copy(connection: psycopg.Connection, path: Path, columns: int, options: str) -> float:
    """The baseline: COPY the file as it is into an unlogged table of text columns."""
    connection.execute("drop table if exists bench_bare_copy")
    names = ", ".join(f"c{index} text" for index in range(columns))
    connection.execute(f"create unlogged table bench_bare_copy ({names})")

    def copy():
        with connection.cursor().copy(f"copy bench_bare_copy from stdin ({options})") as stream:
            with open(path, "rb") as source:
                while chunk := source.read(8 << 20):
                    stream.write(chunk)

    return timed(copy)


def run_models(connection: psycopg.Connection, files: list[str], parameters: dict) -> float:
    cursor = ClientCursor(connection)

    def run():
        with connection.transaction():
            for name in files:
                cursor.execute((SQL_DIR / name).read_text(), parameters)

    return timed(run)


def reset(connection: psycopg.Connection, url: str, *relations: str) -> None:
    connection.execute("drop schema if exists raw, audit, model_staging, model_production cascade")
    bootstrap(url, "bench")
    for relation in relations:
        run_sql_file(connection, relation)


def bench_vouchers(connection, url, rows: int, work: Path) -> dict:
    parquet = write_vouchers(work / f"vouchers-{rows}.parquet", rows=rows)
    csv = write_vouchers(work / f"vouchers-{rows}.csv", rows=rows)
    reset(connection, url, *VOUCHER_RELATIONS)
    baseline = bare_copy(connection, csv, 6, "format csv, header")
    steps = {}
    batch = {}
    steps["load (parquet to raw)"] = timed(lambda: batch.update(b=vouchers.load(connection, str(parquet))))
    parameters = {"batch_id": batch["b"].batch_id, "as_of": "2018-09-15"}
    steps["stage"] = run_models(connection, ["model_staging/stg_voucher__events.sql"], parameters)
    steps["segment usage"] = run_models(connection, ["model_staging/voucher_segment_usage.sql"], parameters)
    steps["publish"] = run_models(
        connection,
        [
            "model_production/voucher_snapshots.sql",
            "model_production/voucher_segment_rules.sql",
            "model_production/voucher_selection.sql",
        ],
        parameters,
    )
    return {"pipeline": "voucher_selection", "rows": rows, "bare_copy_seconds": baseline, "steps": steps}


def bench_telecom(connection, url, rows: int, work: Path) -> dict:
    folder = work / "landing"
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.iterdir():
        old.unlink()
    path = write_file(
        folder / "ipflow_data.ts-1488355500000.1.txt",
        1488355200000,
        rows,
        np.random.default_rng(1),
        subscribers=100_000,
        services=50,
        cells=2_000,
        crlf=True,
    )
    reset(connection, url, *TELECOM_RELATIONS)
    baseline = bare_copy(connection, path, 7, "format csv, header")
    steps = {}
    batches = []
    steps["load (file to raw)"] = timed(lambda: batches.extend(telecom.load_landing(connection, folder)))
    parameters = {"batch_ids": ",".join(str(batch.batch_id) for batch in batches)}
    steps["stage"] = run_models(connection, ["model_staging/stg_telecom__ipflow.sql"], parameters)
    steps["kpi1"] = run_models(connection, ["model_staging/top_services_by_traffic.sql"], parameters)
    steps["kpi2"] = run_models(connection, ["model_staging/top_cells_by_unique_users.sql"], parameters)
    steps["publish"] = run_models(
        connection,
        [
            "model_production/top_services_by_traffic.sql",
            "model_production/top_cells_by_unique_users.sql",
            "model_staging/telecom_dirty_intervals_published.sql",
        ],
        parameters,
    )
    return {"pipeline": "telecom_kpis", "rows": rows, "bare_copy_seconds": baseline, "steps": steps}


def report(result: dict) -> None:
    total = sum(result["steps"].values())
    print(f"\n{result['pipeline']}: {result['rows']:,} rows")
    print(f"  {'bare COPY (baseline)':<24}{result['bare_copy_seconds']:8.2f} s")
    for step, seconds in result["steps"].items():
        print(f"  {step:<24}{seconds:8.2f} s")
    print(f"  {'file to published':<24}{total:8.2f} s   = {total / result['bare_copy_seconds']:.1f}x bare COPY")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--voucher-rows", type=int, default=1_000_000)
    parser.add_argument("--telecom-rows", type=int, default=1_000_000)
    args = parser.parse_args(argv)
    server = config.warehouse_url()
    with psycopg.connect(config.with_database(server, "postgres"), autocommit=True) as admin:
        admin.execute(f"drop database if exists {BENCH_DATABASE} with (force)")
        admin.execute(f"create database {BENCH_DATABASE}")
    url = config.with_database(server, BENCH_DATABASE)
    work = config.STATE_DIR / "bench"
    work.mkdir(parents=True, exist_ok=True)
    with psycopg.connect(url, autocommit=True) as connection:
        results = [
            bench_vouchers(connection, url, args.voucher_rows, work),
            bench_telecom(connection, url, args.telecom_rows, work),
        ]
    for result in results:
        report(result)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"pipelines-{time.strftime('%Y%m%dT%H%M%S')}.json").write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
