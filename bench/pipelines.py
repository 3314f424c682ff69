"""Time each domain's pipeline against a bare COPY of the same file, in the same run on the same server.

Run it with `./quickstart bench`. Each pipeline runs its own loader and the same model steps and checks as its
DAG (from the domain's declaration), outside Airflow, so the figures leave out Airflow's per-task start-up. The
loader runs in a process of its own, whose peak resident memory is reported. The peer, the original project's
pandas `to_sql` way with the voucher file (bench/peer.py), runs on --peer-rows rows against a bare COPY of the same
rows. Then bench/voucher_api.py times `POST /voucher` against a minimal Flask app (--api-seconds 0 skips it).
Results go to stdout and bench/results/.
"""

import argparse
import importlib.util
import json
import multiprocessing
import queue
import resource
import sys
import time
from pathlib import Path

import psycopg
from psycopg import ClientCursor

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.peer import peer_seconds  # noqa: E402
from warehouse import config, registry  # noqa: E402
from warehouse.bootstrap import bootstrap  # noqa: E402
from warehouse.domain import Domain, RunContext, import_string  # noqa: E402
from warehouse.models import render, run_statements, run_step  # noqa: E402
from warehouse.pipeline import PLATFORM_RELATIONS  # noqa: E402

BENCH_DATABASE = "warehouse_bench"
# The bench bootstraps its own reader role: never the one a running stack's API logs in with.
BENCH_READER_ROLE = "warehouse_bench_reader"
RESULTS = Path(__file__).parent / "results"


def fresh_database(name: str) -> str:
    """Make the bench database `name` again, empty, on the embedded server; return its superuser URL."""
    server = config.admin_url()
    with psycopg.connect(config.with_database(server, "postgres"), autocommit=True) as admin:
        admin.execute(f"drop database if exists {name} with (force)")
        admin.execute(f"create database {name}")
    return config.with_database(server, name)


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


def run_loader(load: str, url: str, params: dict, results) -> None:
    """In a process of its own: run a domain's loader, and hand back its work, its seconds and the process's peak
    resident memory (so the figure is the loader's alone, imports included, not the bench's)."""
    with psycopg.connect(url, autocommit=True) as connection:
        seconds, work = timed(lambda: import_string(load)(connection, RunContext(params=params)))
    results.put({"work": work, "seconds": seconds, "peak_rss_mib": peak_rss_mib()})


def peak_rss_mib() -> float:
    """This process's peak resident memory. Not getrusage's ru_maxrss: Linux carries that across fork and exec,
    so a spawned process would report its parent's peak when it was larger."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load_apart(domain: Domain, url: str, params: dict) -> dict:
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    process = context.Process(target=run_loader, args=(domain.load, url, params, results))
    process.start()
    (loaded,) = receive(results, [process])
    process.join()
    return loaded


def receive(results, processes: list) -> list:
    """One result from each process; fail, rather than wait forever, when one exits without sending it."""
    received = []
    while len(received) < len(processes):
        try:
            received.append(results.get(timeout=5))
        except queue.Empty:
            dead = [process for process in processes if process.exitcode not in (None, 0)]
            if dead:
                raise RuntimeError(f"{dead[0].name} exited with {dead[0].exitcode} before sending its result") from None
    return received


def bench_domain(connection: psycopg.Connection, url: str, domain: Domain, rows: int, work_dir: Path) -> dict:
    """Run one domain's pipeline, step by step, on `rows` rows of generated input."""
    connection.execute("drop schema if exists raw, audit, state, model_staging, model_production cascade")
    bootstrap(url, "bench", BENCH_READER_ROLE)
    run_statements(connection, [*PLATFORM_RELATIONS, *domain.relations], domain.sql_dir)
    folder = work_dir / domain.name
    folder.mkdir(parents=True, exist_ok=True)
    copy_file, copy_options, params = import_string(domain.bench.generate)(folder, rows)
    baseline = bare_copy(connection, copy_file, domain.bench.copy_columns, copy_options)
    loaded = load_apart(domain, url, params)
    loaded_file = Path(params.get("source") or copy_file)
    work = loaded["work"]
    steps = {f"load ({domain.load_task_id})": loaded["seconds"]}
    for step in domain.modelling:
        steps[step.task_id], _ = timed(lambda step=step: run_step(connection, step.models, work, domain.sql_dir))
    steps["checks"], _ = timed(lambda: run_checks(connection, domain, work))
    steps[domain.publish.task_id], _ = timed(lambda: run_step(connection, domain.publish.models, work, domain.sql_dir))
    return {
        "pipeline": domain.dag_id,
        "rows": rows,
        "bare_copy_seconds": baseline,
        "steps": steps,
        "loader_peak_rss_mib": loaded["peak_rss_mib"],
        "input": {"file": loaded_file.name, "bytes": loaded_file.stat().st_size},
    }


def bench_peer(connection: psycopg.Connection, url: str, rows: int, work_dir: Path) -> dict:
    """The original project's way with the voucher file (bench/peer.py), against a bare COPY of the same rows."""
    from warehouse.domains.vouchers.sample import bench_input

    folder = work_dir / "vouchers"
    folder.mkdir(parents=True, exist_ok=True)
    copy_file, copy_options, params = bench_input(folder, rows)
    baseline = bare_copy(connection, copy_file, 6, copy_options)
    steps = peer_seconds(url, Path(params["source"]))
    return {"pipeline": "peer: pandas to_sql + create table as (vouchers)", "rows": rows,
            "bare_copy_seconds": baseline, "steps": steps}  # fmt: skip


def report(result: dict) -> None:
    total = sum(result["steps"].values())
    result["total_seconds"] = total
    result["ratio_to_bare_copy"] = total / result["bare_copy_seconds"]
    print(f"\n{result['pipeline']}: {result['rows']:,} rows")
    print(f"  {'bare COPY (baseline)':<32}{result['bare_copy_seconds']:8.2f} s")
    for step, seconds in result["steps"].items():
        print(f"  {step:<32}{seconds:8.2f} s")
    print(f"  {'file to published':<32}{total:8.2f} s   = {result['ratio_to_bare_copy']:.1f}x bare COPY")
    if "loader_peak_rss_mib" in result:
        print(f"  {'loader peak memory (RSS)':<32}{result['loader_peak_rss_mib']:8.0f} MiB")


def main(argv: list[str] | None = None) -> int:
    domains = [domain for domain in registry.domains() if domain.bench]
    parser = argparse.ArgumentParser(prog="./quickstart bench", description=__doc__)
    for domain in domains:
        parser.add_argument(
            f"--{domain.name}-rows", type=int, default=domain.bench.default_rows, help=f"rows of {domain.name} input"
        )
    parser.add_argument("--only", choices=[domain.name for domain in domains], help="bench one domain")
    parser.add_argument(
        "--peer-rows",
        type=int,
        default=200_000,
        help="voucher rows for the peer (pandas to_sql, slow: about 5 minutes per million rows); 0 leaves it out",
    )
    parser.add_argument(
        "--api-seconds",
        type=float,
        default=10,
        help="then time POST /voucher against a minimal Flask app for this long each (bench/voucher_api.py); 0 skips",
    )
    parser.add_argument("--results", type=Path, default=RESULTS, help="folder the figures are written to")
    args = parser.parse_args(argv)
    url = fresh_database(BENCH_DATABASE)
    work_dir = config.state_dir() / "bench"
    args.results.mkdir(parents=True, exist_ok=True)
    output = args.results / f"pipelines-{time.strftime('%Y%m%dT%H%M%S')}.json"
    results = []

    def keep(result: dict) -> None:
        # Each figure is reported and written as soon as it is measured: a later failure loses none.
        report(result)
        results.append(result)
        output.write_text(json.dumps(results, indent=2) + "\n")

    with psycopg.connect(url, autocommit=True) as connection:
        for domain in domains:
            if args.only in (None, domain.name):
                keep(bench_domain(connection, url, domain, getattr(args, f"{domain.name}_rows"), work_dir))
        if args.peer_rows and args.only in (None, "vouchers"):
            if importlib.util.find_spec("pandas") is None:
                print("peer left out: pandas is not installed (pip install -e '.[dev]')")
            else:
                keep(bench_peer(connection, url, args.peer_rows, work_dir))
    print(f"\nwritten to {output}")
    if args.api_seconds and args.only in (None, "vouchers"):
        from bench import voucher_api

        print("\n==> POST /voucher against a minimal Flask app (bench/voucher_api.py)")
        return voucher_api.main(["--seconds", str(args.api_seconds), "--results", str(args.results)])
    return 0


if __name__ == "__main__":
    sys.exit(main())
