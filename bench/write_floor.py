"""What a pipeline's writes cost by themselves: run a domain's pipeline as bench/pipelines.py does, then COPY every
row the run left in the warehouse's tables again, in PostgreSQL's binary format, into tables made like them (the
same logging, indexes and constraints), and compare the time with the bare COPY of the input measured in the
same run. However fast the loading and checking, a run cannot write its layers in less.

Run it with `.venv/bin/python bench/write_floor.py telecom --rows 1000000` (the embedded PostgreSQL must be up;
any domain of the registry). It uses the bench database, which bench/pipelines.py recreates, and drops the tables
it makes.
"""

import argparse
import sys
import tempfile
import time
from pathlib import Path

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.pipelines import BENCH_DATABASE, bench_domain, fresh_database, report  # noqa: E402
from warehouse import config, registry  # noqa: E402

SCHEMAS = ("raw", "audit", "state", "model_staging", "model_production")
COPY_PREFIX = "bench_floor_"


def written_tables(connection: psycopg.Connection) -> list[tuple[str, str, bool]]:
    """The tables of the warehouse's schemas that hold rows: (schema, name, unlogged)."""
    rows = connection.execute(
        """
        select namespace.nspname, class.relname, class.relpersistence = 'u'
        from pg_class as class
        inner join pg_namespace as namespace on namespace.oid = class.relnamespace
        where namespace.nspname = any(%s) and class.relkind = 'r'
        order by 1, 2
        """,
        (list(SCHEMAS),),
    ).fetchall()
    return [
        (schema, name, unlogged)
        for schema, name, unlogged in rows
        if connection.execute(
            sql.SQL("select exists (select from {})").format(sql.Identifier(schema, name))
        ).fetchone()[0]
    ]


def copy_again(connection: psycopg.Connection, schema: str, name: str, unlogged: bool) -> tuple[int, float]:
    """COPY the table's rows out (to a file, untimed), then into a table made like it; return rows and seconds."""
    source = sql.Identifier(schema, name)
    target = sql.Identifier(schema, COPY_PREFIX + name)
    connection.execute(sql.SQL("drop table if exists {}").format(target))
    connection.execute(
        sql.SQL("create {} table {} (like {} including all)").format(
            sql.SQL("unlogged" if unlogged else ""), target, source
        )
    )
    with tempfile.TemporaryFile() as spool:
        with connection.cursor().copy(sql.SQL("copy {} to stdout (format binary)").format(source)) as copy:
            for data in copy:
                spool.write(data)
        spool.seek(0)
        connection.execute("checkpoint")
        started = time.perf_counter()
        with connection.transaction():
            with connection.cursor() as cursor:
                with cursor.copy(sql.SQL("copy {} from stdin (format binary)").format(target)) as copy:
                    while chunk := spool.read(8 << 20):
                        copy.write(chunk)
                rows = cursor.rowcount
        seconds = time.perf_counter() - started
    connection.execute(sql.SQL("drop table {}").format(target))
    return rows, seconds


def main(argv: list[str] | None = None) -> int:
    domains = {domain.name: domain for domain in registry.domains()}
    parser = argparse.ArgumentParser(prog=".venv/bin/python bench/write_floor.py", description=__doc__)
    parser.add_argument("domain", choices=sorted(domains))
    parser.add_argument("--rows", type=int, help="rows of input (the domain's bench default when left out)")
    args = parser.parse_args(argv)
    domain = domains[args.domain]
    url = fresh_database(BENCH_DATABASE)
    with psycopg.connect(url, autocommit=True) as connection:
        result = bench_domain(
            connection, url, domain, args.rows or domain.bench.default_rows, config.state_dir() / "bench"
        )
        report(result)
        baseline = result["bare_copy_seconds"]
        print(f"\nthe rows the run wrote, COPYed again into tables made like theirs (binary, {baseline:.2f} s bare)")
        total = 0.0
        for schema, name, unlogged in written_tables(connection):
            rows, seconds = copy_again(connection, schema, name, unlogged)
            total += seconds
            print(f"  {schema + '.' + name:<52}{rows:>11,} rows {seconds:8.2f} s")
        print(f"  {'all of them':<52}{'':>16} {total:8.2f} s = {total / baseline:.1f}x the bare COPY")
    return 0


if __name__ == "__main__":
    sys.exit(main())
