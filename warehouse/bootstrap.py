"""Prepare a warehouse database: its schemas, and a login role that can only read model_production."""

import argparse
import sys

import psycopg
from psycopg import sql

from warehouse import config
from warehouse.models import run_statements


def bootstrap(url: str, reader_password: str, reader_role: str = config.READER_ROLE) -> None:
    """Create the schemas and the read-only API role; safe to run any number of times.

    Roles are cluster-wide: tests and the benchmark pass a role of their own, so that they never change the
    password of the role a running stack's API logs in with.
    """
    with psycopg.connect(url, autocommit=True) as connection:
        run_statements(connection, ["schemas.sql"])
        database = connection.info.dbname
        reader = sql.Identifier(reader_role)
        exists = connection.execute("select 1 from pg_roles where rolname = %s", (reader_role,)).fetchone()
        verb = "alter" if exists else "create"
        connection.execute(
            sql.SQL(verb + " role {} with login nosuperuser nocreatedb nocreaterole password {}").format(
                reader, sql.Literal(reader_password)
            )
        )
        statements = [
            "alter database {database} set timezone to 'UTC'",
            "alter role {reader} set default_transaction_read_only = on",
            "alter role {reader} set statement_timeout = '5s'",
            "revoke create on schema public from {reader}",
            "grant connect on database {database} to {reader}",
            "grant usage on schema model_production to {reader}",
            "grant select on all tables in schema model_production to {reader}",
            "alter default privileges in schema model_production grant select on tables to {reader}",
        ]
        for statement in statements:
            connection.execute(sql.SQL(statement).format(database=sql.Identifier(database), reader=reader))


def ensure_airflow_database(url: str) -> None:
    """Create Airflow's metadata database beside the warehouse's, unless it exists."""
    with psycopg.connect(url, autocommit=True) as connection:
        if connection.execute("select 1 from pg_database where datname = %s", (config.AIRFLOW_DATABASE,)).fetchone():
            return
        try:
            connection.execute(sql.SQL("create database {}").format(sql.Identifier(config.AIRFLOW_DATABASE)))
        except psycopg.errors.InsufficientPrivilege as error:
            raise SystemExit(
                f"cannot create the database {config.AIRFLOW_DATABASE!r} for Airflow's metadata: create it, "
                "or point AIRFLOW__DATABASE__SQL_ALCHEMY_CONN at one"
            ) from error


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m warehouse.bootstrap", description=__doc__)
    parser.add_argument("--airflow-database", action="store_true", help="also create Airflow's database")
    args = parser.parse_args(argv)
    bootstrap(config.warehouse_url(), config.reader_password())
    if args.airflow_database:
        ensure_airflow_database(config.warehouse_url())
    print("warehouse schemas and the read-only role are ready")
    return 0


if __name__ == "__main__":
    sys.exit(main())
