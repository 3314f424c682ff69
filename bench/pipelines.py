"""Time each domain's pipeline against a bare COPY of the same file, in the same run on the same server.

Run it with `./quickstart bench`. Each pipeline runs its own loader and the same model steps and checks as its
DAG (from the domain's declaration), outside Airflow, so the figures leave out Airflow's per-task start-up.
Results go to stdout and bench/results/.
"""

import argparse
import json
import sys
import time
from pathlib import Path

import psycopg
from psycopg import ClientCursor

from warehouse import config, registry
from warehouse.bootstrap import bootstrap
from warehouse.domain import Domain, RunContext, import_string
from warehouse.models import render, run_statements, run_step
from warehouse.pipeline import PLATFORM_RELATIONS

BENCH_DATABASE = "warehouse_bench"
# The bench bootstraps its own reader role: never the one a running stack's API logs in with.
BENCH_READER_ROLE = "warehouse_bench_reader"
RESULTS = Path(__file__).parent / "results"


def timed(action) -> tuple[float, object]:
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


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

    seconds, _ = timed(copy)
    connection.execute("drop table bench_bare_copy")
    return seconds


def run_checks(connection: psycopg.Connection, domain: Domain, work: dict) -> None:
    cursor = ClientCursor(connection)
    for check in domain.checks:
        failing = cursor.execute(render(check, domain.sql_dir).sql, work).fetchall()
        if failing:
            raise RuntimeError(f"{check} failed: {failing[:3]}")


def bench_domain(connection: psycopg.Connection, url: str, domain: Domain, rows: int, work_dir: Path) -> dict:
    """Run one domain's pipeline, step by step, on `rows` rows of generated input."""
    connection.execute("drop schema if exists raw, audit, state, model_staging, model_production cascade")
    bootstrap(url, "bench", BENCH_READER_ROLE)
    run_statements(connection, [*PLATFORM_RELATIONS, *domain.relations], domain.sql_dir)
    folder = work_dir / domain.name
    folder.mkdir(parents=True, exist_ok=True)
    copy_file, copy_options, params = import_string(domain.bench.generate)(folder, rows)
    baseline = bare_copy(connection, copy_file, domain.bench.copy_columns, copy_options)
    loader = import_string(domain.load)
    steps = {}
    steps[f"load ({domain.load_task_id})"], work = timed(lambda: loader(connection, RunContext(params=params)))
    for step in [domain.stage, *domain.build]:
        steps[step.task_id], _ = timed(lambda step=step: run_step(connection, step.models, work, domain.sql_dir))
    steps["checks"], _ = timed(lambda: run_checks(connection, domain, work))
    steps[domain.publish.task_id], _ = timed(lambda: run_step(connection, domain.publish.models, work, domain.sql_dir))
    return {"pipeline": domain.dag_id, "rows": rows, "bare_copy_seconds": baseline, "steps": steps}


def report(result: dict) -> None:
    total = sum(result["steps"].values())
    print(f"\n{result['pipeline']}: {result['rows']:,} rows")
    print(f"  {'bare COPY (baseline)':<32}{result['bare_copy_seconds']:8.2f} s")
    for step, seconds in result["steps"].items():
        print(f"  {step:<32}{seconds:8.2f} s")
    print(f"  {'file to published':<32}{total:8.2f} s   = {total / result['bare_copy_seconds']:.1f}x bare COPY")


def main(argv: list[str] | None = None) -> int:
    domains = [domain for domain in registry.domains() if domain.bench]
    parser = argparse.ArgumentParser(prog="./quickstart bench", description=__doc__)
    for domain in domains:
        parser.add_argument(
            f"--{domain.name}-rows", type=int, default=domain.bench.default_rows, help=f"rows of {domain.name} input"
        )
    parser.add_argument("--only", choices=[domain.name for domain in domains], help="bench one domain")
    parser.add_argument("--results", type=Path, default=RESULTS, help="folder the figures are written to")
    args = parser.parse_args(argv)
    server = config.admin_url()
    with psycopg.connect(config.with_database(server, "postgres"), autocommit=True) as admin:
        admin.execute(f"drop database if exists {BENCH_DATABASE} with (force)")
        admin.execute(f"create database {BENCH_DATABASE}")
    url = config.with_database(server, BENCH_DATABASE)
    work_dir = config.state_dir() / "bench"
    results = []
    with psycopg.connect(url, autocommit=True) as connection:
        for domain in domains:
            if args.only in (None, domain.name):
                rows = getattr(args, f"{domain.name}_rows")
                results.append(bench_domain(connection, url, domain, rows, work_dir))
    for result in results:
        report(result)
    args.results.mkdir(parents=True, exist_ok=True)
    (args.results / f"pipelines-{time.strftime('%Y%m%dT%H%M%S')}.json").write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
