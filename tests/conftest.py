"""Fixtures shared by every test: a fresh warehouse database, Airflow's metadata database, and DAG runs.

The fixtures are split by concern and build on each other in order: server, roles and schema, data.
"""

import os
import tempfile
from pathlib import Path

import psycopg
import pytest

from warehouse import config

TEST_DATABASE = "warehouse_test"
AIRFLOW_TEST_DATABASE = "airflow_test"
READER_PASSWORD = "reader-test-password"
SHARED_DATA = config.PROJECT_ROOT.parent / "shared" / "data"

SERVER_URL = os.environ.get("WAREHOUSE_URL") or config.embedded_url()
WAREHOUSE_TEST_URL = config.with_database(SERVER_URL, TEST_DATABASE)
READER_TEST_URL = config.with_role(WAREHOUSE_TEST_URL, config.READER_ROLE, READER_PASSWORD)

# Airflow reads its configuration when first imported, so it is set before any test module imports it.
AIRFLOW_HOME = Path(tempfile.mkdtemp(prefix="warehouse-airflow-test-"))
os.environ.update(
    {
        "WAREHOUSE_URL": WAREHOUSE_TEST_URL,
        "WAREHOUSE_READER_PASSWORD": READER_PASSWORD,
        "WAREHOUSE_STATE_DIR": str(AIRFLOW_HOME / "state"),
        "AIRFLOW_HOME": str(AIRFLOW_HOME),
        "AIRFLOW__CORE__DAGS_FOLDER": str(config.PROJECT_ROOT / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": config.with_database(SERVER_URL, AIRFLOW_TEST_DATABASE),
        "AIRFLOW_CONN_WAREHOUSE": WAREHOUSE_TEST_URL,
    }
)


def recreate_database(name: str) -> None:
    with psycopg.connect(config.with_database(SERVER_URL, "postgres"), autocommit=True) as connection:
        connection.execute(f'drop database if exists "{name}" with (force)')
        connection.execute(f'create database "{name}"')


@pytest.fixture(scope="session")
def warehouse_url() -> str:
    """Return the admin URL of a warehouse database created fresh for this test session."""
    from warehouse.bootstrap import bootstrap

    recreate_database(TEST_DATABASE)
    bootstrap(WAREHOUSE_TEST_URL, READER_PASSWORD)
    return WAREHOUSE_TEST_URL


@pytest.fixture(scope="session")
def reader_url(warehouse_url) -> str:
    return READER_TEST_URL


def reset_warehouse(url: str) -> None:
    """Drop every warehouse table and bootstrap the empty schemas again."""
    from warehouse.bootstrap import bootstrap

    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("drop schema if exists raw, audit, model_staging, model_production cascade")
    bootstrap(url, READER_PASSWORD)


@pytest.fixture
def db(warehouse_url):
    """Return an autocommit connection to a warehouse emptied of every table."""
    reset_warehouse(warehouse_url)
    with psycopg.connect(warehouse_url, autocommit=True) as connection:
        yield connection


@pytest.fixture(scope="session")
def airflow_db(warehouse_url):
    """Migrate a fresh Airflow metadata database once per session."""
    import subprocess
    import sys

    recreate_database(AIRFLOW_TEST_DATABASE)
    airflow = Path(sys.executable).with_name("airflow")
    subprocess.run([str(airflow), "db", "migrate"], check=True, capture_output=True)


@pytest.fixture(scope="session")
def dag_bag(airflow_db):
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(str(config.PROJECT_ROOT / "dags"))


@pytest.fixture(scope="session")
def dag_runner(dag_bag):
    """Return a function that runs a DAG in-process with `dag.test()` and returns its DagRun."""
    import pendulum

    def run(dag_id: str, conf: dict | None = None, logical_date: str | None = None, expect: str = "success"):
        dag = dag_bag.get_dag(dag_id)
        dag_run = dag.test(
            run_conf=conf or {},
            logical_date=pendulum.parse(logical_date) if logical_date else None,
        )
        assert dag_run.state == expect, f"{dag_id} ended {dag_run.state}, expected {expect}"
        return dag_run

    return run


@pytest.fixture
def run_dag(dag_runner, db):
    """Run a DAG on an empty warehouse (see dag_runner)."""
    return dag_runner


def shared_file(*parts: str) -> Path:
    """Return a file from ../shared/data, or skip the test saying why it cannot run."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent: the real sample data lives in ../shared/data beside the project")
    return path
