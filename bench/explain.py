"""Show where a domain's models spend their time: EXPLAIN ANALYZE of each model before publication, on generated
input.

Run it with `.venv/bin/python bench/explain.py vouchers --rows 1000000` (the embedded PostgreSQL must be up). It
loads the input as bench/pipelines.py does, in the same bench database, then, for each model of the domain's
staging and build steps in order (a domain whose loader stages has only builds), prints the plan of its select
with the time each node took, and materialises the model so that the next one can read it. Each model therefore
runs twice: the figures are the plan's, not the step's.
"""

import argparse
import sys
from pathlib import Path

import psycopg
from psycopg import ClientCursor

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.pipelines import BENCH_DATABASE, BENCH_READER_ROLE, load_apart  # noqa: E402
from warehouse import config, registry  # noqa: E402
from warehouse.bootstrap import bootstrap  # noqa: E402
from warehouse.domain import import_string  # noqa: E402
from warehouse.models import materialise, render, run_statements  # noqa: E402
from warehouse.pipeline import PLATFORM_RELATIONS  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    domains = {domain.name: domain for domain in registry.domains() if domain.bench}
    parser = argparse.ArgumentParser(prog=".venv/bin/python bench/explain.py", description=__doc__)
    parser.add_argument("domain", choices=sorted(domains))
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of generated input")
    args = parser.parse_args(argv)
    domain = domains[args.domain]
    server = config.admin_url()
    with psycopg.connect(config.with_database(server, "postgres"), autocommit=True) as admin:
        if not admin.execute("select 1 from pg_database where datname = %s", (BENCH_DATABASE,)).fetchone():
            admin.execute(f"create database {BENCH_DATABASE}")
    url = config.with_database(server, BENCH_DATABASE)
    folder = config.state_dir() / "bench" / domain.name
    folder.mkdir(parents=True, exist_ok=True)
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("drop schema if exists raw, audit, state, model_staging, model_production cascade")
        bootstrap(url, "bench", BENCH_READER_ROLE)
        run_statements(connection, [*PLATFORM_RELATIONS, *domain.relations], domain.sql_dir)
        _, _, params = import_string(domain.bench.generate)(folder, args.rows)
        work = load_apart(domain, url, params)["work"]
        cursor = ClientCursor(connection)
        with connection.transaction():
            for path in [path for step in domain.modelling for path in step.models]:
                model = render(path, domain.sql_dir)
                plan = cursor.execute(f"explain (analyze, buffers, costs off) {model.sql}", work).fetchall()
                print(f"\n-- {path} ({model.materialized})")
                print("\n".join(line for (line,) in plan))
                materialise(connection, model, work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
