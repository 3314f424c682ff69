"""Least privilege: the superuser only bootstraps, the pipelines' role owns what it builds and is no superuser,
and the API's reader may read every published table and nothing else."""

import psycopg
import pytest

from tests.conftest import (
    API_WAREHOUSE_TEST_URL,
    PIPELINE_PASSWORD,
    PIPELINE_TEST_ROLE,
    READER_PASSWORD,
    READER_TEST_ROLE,
    SERVER_URL,
    SUFFIX,
    recreate_database,
)
from warehouse import config
from warehouse.bootstrap import SCHEMAS, bootstrap, ensure_airflow_database

SCRATCH_DATABASE = f"warehouse_roles_test{SUFFIX}"


def owners(url: str, schemas: list[str]) -> dict[str, str]:
    with psycopg.connect(url) as connection:
        rows = connection.execute(
            """
            select n.nspname || '.' || c.relname, pg_get_userbyid(c.relowner)
            from pg_class c join pg_namespace n on n.oid = c.relnamespace
            where n.nspname = any(%s) and c.relkind in ('r', 'p', 'v', 'm', 'S')
            """,
            (schemas,),
        ).fetchall()
    return dict(rows)


def test_the_pipelines_role_is_no_superuser_and_cannot_reach_the_servers_machine(warehouse_url):
    with psycopg.connect(warehouse_url, autocommit=True) as connection:
        assert connection.info.user == PIPELINE_TEST_ROLE
        assert connection.execute(
            "select rolsuper, rolcreaterole, rolcreatedb from pg_roles where rolname = current_user"
        ).fetchone() == (False, False, False)
        connection.execute("create temporary table probe (line text)")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            connection.execute("copy probe from program 'id'")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            connection.execute("copy probe from '/etc/passwd'")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            connection.execute("select pg_read_file('/etc/passwd')")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            connection.execute("create role intruder superuser")


def test_every_published_relation_belongs_to_the_pipelines_role_and_the_reader_reads_each(publications):
    owned = owners(API_WAREHOUSE_TEST_URL, SCHEMAS)
    assert {name.split(".")[0] for name in owned} >= {"raw", "audit", "model_staging", "model_production"}
    assert {owner for owner in owned.values()} == {PIPELINE_TEST_ROLE}
    with psycopg.connect(API_WAREHOUSE_TEST_URL) as connection:
        unreadable = connection.execute(
            """
            select table_name from information_schema.tables
            where table_schema = 'model_production'
              and not has_table_privilege(%s, table_schema || '.' || table_name, 'select')
            """,
            (READER_TEST_ROLE,),
        ).fetchall()
    assert unreadable == []


def test_bootstrap_hands_an_earlier_versions_tables_over_to_the_pipelines_role():
    # Before the pipelines had a role of their own, the superuser made every table (and Airflow's).
    recreate_database(SCRATCH_DATABASE)
    admin = config.with_database(SERVER_URL, SCRATCH_DATABASE)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute("create schema raw")
        connection.execute("create table raw.events (id bigint generated always as identity, body text)")
        connection.execute("create schema model_production")
        connection.execute("create table model_production.answers (answer text)")
        connection.execute("create view model_production.latest as select * from model_production.answers")
    pipeline = config.with_role(admin, PIPELINE_TEST_ROLE, PIPELINE_PASSWORD)

    bootstrap(admin, READER_PASSWORD, READER_TEST_ROLE, pipeline_url=pipeline)
    bootstrap(admin, READER_PASSWORD, READER_TEST_ROLE, pipeline_url=pipeline)  # idempotent

    assert set(owners(admin, SCHEMAS).values()) == {PIPELINE_TEST_ROLE}
    with psycopg.connect(pipeline, autocommit=True) as connection:
        connection.execute("insert into raw.events (body) values ('kept')")
        connection.execute("create table model_production.published_later (answer text)")
        connection.execute("insert into model_production.published_later values ('42')")
    reader = config.with_role(admin, READER_TEST_ROLE, READER_PASSWORD)
    with psycopg.connect(reader) as connection:
        assert connection.execute("select answer from model_production.published_later").fetchone() == ("42",)
        assert connection.execute("select count(*) from model_production.latest").fetchone() == (0,)


def test_airflows_database_belongs_to_the_pipelines_role_even_when_an_earlier_version_made_it(monkeypatch):
    monkeypatch.setattr(config, "AIRFLOW_DATABASE", SCRATCH_DATABASE)
    recreate_database(SCRATCH_DATABASE)
    admin = config.with_database(SERVER_URL, SCRATCH_DATABASE)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute("create table public.dag_run (id serial primary key, state text)")

    ensure_airflow_database(admin, PIPELINE_TEST_ROLE)

    with psycopg.connect(admin) as connection:
        assert connection.execute(
            "select pg_get_userbyid(datdba) from pg_database where datname = current_database()"
        ).fetchone() == (PIPELINE_TEST_ROLE,)
    assert set(owners(admin, ["public"]).values()) == {PIPELINE_TEST_ROLE}
    with psycopg.connect(config.with_role(admin, PIPELINE_TEST_ROLE, PIPELINE_PASSWORD), autocommit=True) as connection:
        connection.execute("insert into public.dag_run (state) values ('queued')")
        connection.execute("alter table public.dag_run add column note text")  # a migration, as its owner
