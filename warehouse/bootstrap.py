"""Prepare a warehouse database: its schemas, owned by the pipelines' role, and a role that can only read
model_production.

Three roles, so that none holds more than it needs: a superuser runs this bootstrap and nothing else; the
pipelines' role owns the schemas it loads and models, and is not a superuser, so it cannot read or run anything
on the server's machine (`COPY ... FROM PROGRAM`); the API's reader may only select from model_production.
"""

import argparse
import sys
from urllib.parse import unquote, urlsplit

import psycopg
from psycopg import sql

from warehouse import config
from warehouse.models import run_statements

SCHEMAS = ["raw", "audit", "state", "model_staging", "model_production"]
# The relations a role may own in a schema (an index, or a sequence a column owns, follows its table).
OWNED_KINDS = {"r": "table", "p": "table", "v": "view", "m": "materialized view", "S": "sequence", "f": "foreign table"}


def login_of(url: str) -> tuple[str, str]:
    """Return the role and password a URL logs in with."""
    parts = urlsplit(url)
    return unquote(parts.username or ""), unquote(parts.password or "")


def bootstrap(
    admin_url: str, reader_password: str, reader_role: str = config.READER_ROLE, pipeline_url: str | None = None
) -> None:
    """Create the schemas, the pipelines' role that owns them, and the read-only API role; safe to run any number
    of times, and on a database whose tables an earlier version made as another role.

    `pipeline_url` names the pipelines' role and its password; without it, or when it logs in as the admin's own
    role, the admin's role owns the schemas. Roles are cluster-wide: tests and the benchmark pass roles of their
    own, so that they never change the password of a role a running stack logs in with.
    """
    if pipeline_url:
        # The warehouse is the pipelines' database, whichever database the admin's URL names.
        admin_url = config.with_database(admin_url, urlsplit(pipeline_url).path.lstrip("/") or "postgres")
    with psycopg.connect(admin_url, autocommit=True) as connection:
        run_statements(connection, ["schemas.sql"])
        database = connection.info.dbname
        pipeline, pipeline_password = login_of(pipeline_url) if pipeline_url else (connection.info.user, "")
        if pipeline != connection.info.user:
            _login_role(connection, pipeline, pipeline_password)
            for schema in SCHEMAS:
                connection.execute(
                    sql.SQL("alter schema {} owner to {}").format(sql.Identifier(schema), sql.Identifier(pipeline))
                )
            hand_over(connection, SCHEMAS, pipeline)
            # The pipelines may add a schema of their own, and use temporary tables; nothing more cluster-wide.
            connection.execute(
                sql.SQL("grant connect, create, temporary on database {} to {}").format(
                    sql.Identifier(database), sql.Identifier(pipeline)
                )
            )
        _login_role(connection, reader_role, reader_password)
        statements = [
            "alter database {database} set timezone to 'UTC'",
            "alter role {reader} set default_transaction_read_only = on",
            "alter role {reader} set statement_timeout = '5s'",
            "revoke create on schema public from {reader}",
            "grant connect on database {database} to {reader}",
            "grant usage on schema model_production to {reader}",
            "grant select on all tables in schema model_production to {reader}",
            # Tables the pipelines publish later: default privileges belong to the role that creates the table.
            "alter default privileges for role {pipeline} in schema model_production "
            "grant select on tables to {reader}",
        ]
        for statement in statements:
            connection.execute(
                sql.SQL(statement).format(
                    database=sql.Identifier(database),
                    reader=sql.Identifier(reader_role),
                    pipeline=sql.Identifier(pipeline),
                )
            )


def _login_role(connection: psycopg.Connection, role: str, password: str) -> None:
    """Create a login role that may not create roles or databases, or set its password if it exists. An empty
    password (the URL relies on .pgpass or PGPASSWORD) leaves the role's password as it is."""
    exists = connection.execute("select 1 from pg_roles where rolname = %s", (role,)).fetchone()
    statement = sql.SQL("{} role {} with login nosuperuser nocreatedb nocreaterole").format(
        sql.SQL("alter" if exists else "create"), sql.Identifier(role)
    )
    if password:
        statement += sql.SQL(" password {}").format(sql.Literal(password))
    connection.execute(statement)


def hand_over(connection: psycopg.Connection, schemas: list[str], owner: str) -> None:
    """Make `owner` the owner of every table, view and sequence in `schemas` that another role owns."""
    relations = connection.execute(
        """
        select c.relkind, n.nspname, c.relname
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = any(%s) and c.relkind = any(%s) and pg_get_userbyid(c.relowner) <> %s
          and not exists (
            select 1 from pg_depend d
            where d.classid = 'pg_class'::regclass and d.objid = c.oid
              and d.refclassid = 'pg_class'::regclass and d.deptype in ('a', 'i')
          )
        """,
        (schemas, list(OWNED_KINDS), owner),
    ).fetchall()
    for kind, schema, name in relations:
        connection.execute(
            sql.SQL("alter {} {}.{} owner to {}").format(
                sql.SQL(OWNED_KINDS[kind]), sql.Identifier(schema), sql.Identifier(name), sql.Identifier(owner)
            )
        )


def ensure_airflow_database(admin_url: str, owner: str | None = None) -> None:
    """Create Airflow's metadata database beside the warehouse's, owned by `owner` (the pipelines' role), unless
    it exists; an existing one is handed over to `owner`, tables and all."""
    with psycopg.connect(config.with_database(admin_url, "postgres"), autocommit=True) as connection:
        owner = owner or connection.info.user
        name = sql.Identifier(config.AIRFLOW_DATABASE)
        if not connection.execute(
            "select 1 from pg_database where datname = %s", (config.AIRFLOW_DATABASE,)
        ).fetchone():
            try:
                connection.execute(sql.SQL("create database {} owner {}").format(name, sql.Identifier(owner)))
            except psycopg.errors.InsufficientPrivilege as error:
                raise SystemExit(
                    f"cannot create the database {config.AIRFLOW_DATABASE!r} for Airflow's metadata: create it, "
                    "or point AIRFLOW__DATABASE__SQL_ALCHEMY_CONN at one"
                ) from error
            return
        connection.execute(sql.SQL("alter database {} owner to {}").format(name, sql.Identifier(owner)))
    # Every time, not only when the owner changes: a hand-over cut short is finished by the next bootstrap.
    with psycopg.connect(config.with_database(admin_url, config.AIRFLOW_DATABASE), autocommit=True) as connection:
        hand_over(connection, ["public"], owner)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m warehouse.bootstrap", description=__doc__)
    parser.add_argument("--airflow-database", action="store_true", help="also create Airflow's database")
    args = parser.parse_args(argv)
    pipeline_url = config.warehouse_url()
    bootstrap(config.admin_url(), config.reader_password(), pipeline_url=pipeline_url)
    if args.airflow_database:
        ensure_airflow_database(config.admin_url(), login_of(pipeline_url)[0])
    print("warehouse schemas, the pipelines' role and the read-only role are ready")
    return 0


if __name__ == "__main__":
    sys.exit(main())
