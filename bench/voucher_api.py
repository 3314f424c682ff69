"""Time `POST /voucher` under 32 concurrent clients, against a minimal Flask app running the same lookup.

Run it with `.venv/bin/python bench/voucher_api.py` (the embedded PostgreSQL must be up:
`.venv/bin/python -m warehouse.server start`). It publishes a generated voucher file (--rows) into its own
database with the same loader, model steps and checks as the DAG, then starts, one after the other, the minimal
app (bench/minimal_voucher_app.py), the real API, and the minimal app again, each under gunicorn with the API's
own configuration (same workers, worker class and access log), each reading as the bench's read-only role. The
same load generator as bench/api.py drives each with the same questions, --clients closed-loop clients for
--seconds after an uncounted warm-up. The minimal app's two runs bracket the API's, so machine noise shows as a
difference between them; the ratio is to their mean. Results go to stdout and bench/results/voucher-api-*.json.
"""

import argparse
import datetime as dt
import json
import os
import random
import sys
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.api import BENCH_READER_PASSWORD, Api, CpuProbe, Scenario, drive, git_commit  # noqa: E402
from bench.pipelines import BENCH_READER_ROLE, bench_domain, fresh_database  # noqa: E402
from warehouse import config  # noqa: E402
from warehouse.bootstrap import bootstrap  # noqa: E402
from warehouse.domains.vouchers import DOMAIN  # noqa: E402

RESULTS = Path(__file__).parent / "results"
DATABASE = "warehouse_bench_vouchers"
MINIMAL_APP = "bench.minimal_voucher_app:app"
TARGET_RATIO, TARGET_P99_MS = 2.0, 50.0


def publish(rows: int) -> str:
    """Publish `rows` generated voucher events into the bench's own database; return the reader's URL."""
    url = fresh_database(DATABASE)
    with psycopg.connect(url, autocommit=True) as connection:
        result = bench_domain(connection, url, DOMAIN, rows, config.state_dir() / "bench")
    bootstrap(url, BENCH_READER_PASSWORD, BENCH_READER_ROLE)
    print(f"==> published {rows:,} voucher events in {sum(result['steps'].values()):.1f} s")
    return config.with_role(url, BENCH_READER_ROLE, BENCH_READER_PASSWORD)


def questions(reader_url: str, count: int) -> list[dict]:
    """Questions across every country and segment of the snapshot, in both segment types, as clients send them."""
    with psycopg.connect(reader_url) as connection:
        as_of = connection.execute("select max(as_of_date) from model_production.voucher_snapshots").fetchone()[0]
        countries = [
            row[0]
            for row in connection.execute(
                "select distinct country_code from model_production.voucher_selection where as_of_date = %s order by 1",
                (as_of,),
            )
        ]
    pick = random.Random(20180915)
    asked = []
    for index in range(count):
        last_order = as_of - dt.timedelta(days=pick.randint(0, 400))
        asked.append(
            {
                "customer_id": index,
                "country_code": pick.choice(countries),
                "last_order_ts": f"{last_order.isoformat()} 00:00:00",
                "first_order_ts": "2017-01-01 00:00:00",
                "total_orders": pick.randint(1, 60),
                "segment_name": pick.choice(["frequent_segment", "recency_segment"]),
            }
        )
    return asked


def answered(api: Api, asked: list[dict]) -> list[bytes]:
    """The questions the API answers with a voucher (200), as request bodies."""
    import http.client

    bodies = []
    connection = http.client.HTTPConnection("127.0.0.1", api.port, timeout=10)
    for question in asked:
        body = json.dumps(question).encode()
        connection.request("POST", "/voucher", body=body, headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        response.read()
        if response.status == 200:
            bodies.append(body)
    connection.close()
    if not bodies:
        raise RuntimeError("the API answered none of the generated questions")
    return bodies


def measure(label: str, app: str, args: argparse.Namespace, reader_url: str, bodies: list[bytes]) -> dict:
    log = config.state_dir() / "bench" / "voucher-api" / f"{label}.log"
    api = Api(reader_url, args.workers, args.threads, log, app=app)
    api.start()
    probe = CpuProbe(api.process.pid, reader_url)
    try:
        scenario = Scenario(label, f"POST /voucher ({app})", ["/voucher"] * len(bodies), bodies)
        run = drive(api.port, scenario, args.clients, args.seconds, args.warmup, probe)
    finally:
        probe.close()
        api.stop()
    print(
        f"    {label:<18} {run['throughput_rps']:8.0f} req/s  p50 {run['p50_ms']:6.1f} ms  p99 {run['p99_ms']:6.1f} ms"
        f"  errors {run['errors']}",
        flush=True,
    )
    return run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=".venv/bin/python bench/voucher_api.py", description=__doc__)
    parser.add_argument("--rows", type=int, default=200_000, help="voucher events published")
    parser.add_argument("--questions", type=int, default=2000, help="distinct questions asked")
    parser.add_argument("--clients", type=int, default=32, help="concurrent clients, one keep-alive connection each")
    parser.add_argument("--seconds", type=float, default=10, help="measured seconds per run")
    parser.add_argument("--warmup", type=float, default=2, help="uncounted seconds of the same load first")
    parser.add_argument("--workers", type=int, default=config.API_WORKERS.value(), help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=config.API_THREADS.value(), help="connections per worker")
    parser.add_argument(
        "--worker-class",
        choices=["gevent", "gthread"],
        default=config.API_WORKER_CLASS.value(),
        help="gunicorn worker class of both apps (API_WORKER_CLASS)",
    )
    parser.add_argument("--results", type=Path, default=RESULTS, help="folder the figures are written to")
    args = parser.parse_args(argv)
    # Both apps start with this environment, and so with the same worker class.
    os.environ["API_WORKER_CLASS"] = args.worker_class

    started_utc = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    reader_url = publish(args.rows)
    probe_api = Api(reader_url, 1, 1, config.state_dir() / "bench" / "voucher-api" / "questions.log")
    probe_api.start()
    try:
        bodies = answered(probe_api, questions(reader_url, args.questions))
    finally:
        probe_api.stop()
    print(
        f"==> {len(bodies):,} distinct questions; gunicorn {args.workers} workers "
        f"({args.worker_class}, {args.threads} connections each); {args.clients} clients, "
        f"{args.warmup:g} s warm-up + {args.seconds:g} s per run"
    )
    load_before = os.getloadavg()
    runs = [
        measure("minimal (before)", MINIMAL_APP, args, reader_url, bodies),
        measure("warehouse API", "api_endpoint:create_app()", args, reader_url, bodies),
        measure("minimal (after)", MINIMAL_APP, args, reader_url, bodies),
    ]
    minimal_rps = (runs[0]["throughput_rps"] + runs[2]["throughput_rps"]) / 2
    ours = runs[1]
    summary = {
        "throughput_ratio": ours["throughput_rps"] / minimal_rps,
        "p99_ms": ours["p99_ms"],
        "errors": ours["errors"],
        "meets_target": ours["throughput_rps"] / minimal_rps >= TARGET_RATIO
        and ours["p99_ms"] < TARGET_P99_MS
        and ours["errors"] == 0,
    }
    result = {
        "benchmark": "voucher_api",
        "started_utc": started_utc,
        "git": git_commit(),
        "machine": {"cpus": os.cpu_count(), "load_average_before": load_before, "load_average_after": os.getloadavg()},
        "published_rows": args.rows,
        "questions": len(bodies),
        "server": {
            "workers": args.workers,
            "worker_class": args.worker_class,
            "access_log_share": config.API_ACCESS_LOG.value(),
            "threads": args.threads,
            "config": "api_endpoint/gunicorn.conf.py",
        },
        "load": {"clients": args.clients, "seconds": args.seconds, "warmup_seconds": args.warmup},
        "target": {"throughput_ratio_at_least": TARGET_RATIO, "p99_ms_below": TARGET_P99_MS, "errors": 0},
        "summary": summary,
        "runs": runs,
    }
    args.results.mkdir(parents=True, exist_ok=True)
    output = args.results / f"voucher-api-{started_utc}.json"
    output.write_text(json.dumps(result, indent=2) + "\n")
    print(
        f"\nPOST /voucher: {summary['throughput_ratio']:.2f}x the minimal app's throughput (mean of its two runs, "
        f"{minimal_rps:.0f} req/s), p99 {summary['p99_ms']:.1f} ms, {summary['errors']} errors; target "
        f">= {TARGET_RATIO:g}x, p99 < {TARGET_P99_MS:g} ms, no errors: {'met' if summary['meets_target'] else 'missed'}"
    )
    print(f"written to {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
