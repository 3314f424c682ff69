"""Fixtures shared by every test: a fresh warehouse database, Airflow's metadata database, DAG runs, and the API
over a published snapshot of every domain.

The fixtures are split by concern and build on each other in order: server, roles and schema, data, app.
"""

import importlib
import importlib.util
import os
import shutil
import socket
import tempfile
import threading
from pathlib import Path

import psycopg
import pytest

try:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
except ImportError:  # The browser tests skip, saying how to get it.
    webdriver = None

from warehouse import config

# Test runs that share one server keep apart by giving each its own TEST_DATABASE_SUFFIX.
SUFFIX = os.environ.get("TEST_DATABASE_SUFFIX", "")
TEST_DATABASE = f"warehouse_test{SUFFIX}"
# The API tests read a database of their own, published once, which no pipeline test empties.
API_TEST_DATABASE = f"warehouse_api_test{SUFFIX}"
AIRFLOW_TEST_DATABASE = f"airflow_test{SUFFIX}"
READER_PASSWORD = "reader-test-password"
PIPELINE_PASSWORD = "pipeline-test-password"
# Roles are cluster-wide: the tests' roles are their own, so a stack running on the same server keeps its logins.
READER_TEST_ROLE = "warehouse_test_reader"
PIPELINE_TEST_ROLE = "warehouse_test_pipeline"
SHARED_DATA = config.PROJECT_ROOT.parent / "shared" / "data"

# The server's superuser creates the test databases and bootstraps them; everything else runs as the tests'
# pipeline role, which is no superuser, as the stack's pipelines run.
SERVER_URL = config.admin_url()
ADMIN_TEST_URL = config.with_database(SERVER_URL, TEST_DATABASE)
WAREHOUSE_TEST_URL = config.with_role(ADMIN_TEST_URL, PIPELINE_TEST_ROLE, PIPELINE_PASSWORD)
READER_TEST_URL = config.with_role(ADMIN_TEST_URL, READER_TEST_ROLE, READER_PASSWORD)
API_ADMIN_TEST_URL = config.with_database(SERVER_URL, API_TEST_DATABASE)
API_WAREHOUSE_TEST_URL = config.with_role(API_ADMIN_TEST_URL, PIPELINE_TEST_ROLE, PIPELINE_PASSWORD)
API_READER_TEST_URL = config.with_role(API_ADMIN_TEST_URL, READER_TEST_ROLE, READER_PASSWORD)
AIRFLOW_TEST_URL = config.with_database(WAREHOUSE_TEST_URL, AIRFLOW_TEST_DATABASE)

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
        "WAREHOUSE_ADMIN_URL": ADMIN_TEST_URL,
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": AIRFLOW_TEST_URL,
        "AIRFLOW_CONN_WAREHOUSE": WAREHOUSE_TEST_URL,
    }
)


def recreate_database(name: str, owner: str | None = None) -> None:
    with psycopg.connect(config.with_database(SERVER_URL, "postgres"), autocommit=True) as connection:
        connection.execute(f'drop database if exists "{name}" with (force)')
        connection.execute(f'create database "{name}"' + (f' owner "{owner}"' if owner else ""))


def bootstrap_test_database(admin_url: str) -> None:
    """Bootstrap a test database with the tests' own pipeline and reader roles."""
    from warehouse.bootstrap import bootstrap

    pipeline_url = config.with_role(admin_url, PIPELINE_TEST_ROLE, PIPELINE_PASSWORD)
    bootstrap(admin_url, READER_PASSWORD, READER_TEST_ROLE, pipeline_url=pipeline_url)


@pytest.fixture(scope="session")
def warehouse_url() -> str:
    """Return the pipeline role's URL of a warehouse database created fresh for this test session."""
    recreate_database(TEST_DATABASE)
    bootstrap_test_database(ADMIN_TEST_URL)
    return WAREHOUSE_TEST_URL


@pytest.fixture(scope="session")
def reader_url(warehouse_url) -> str:
    return READER_TEST_URL


def reset_warehouse(url: str) -> None:
    """Drop every warehouse table and bootstrap the empty schemas again (`url`: the test database's pipeline
    role, which owns the schemas)."""
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("drop schema if exists raw, audit, state, model_staging, model_production cascade")
        database = connection.info.dbname
    bootstrap_test_database(config.with_database(SERVER_URL, database))


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

    recreate_database(AIRFLOW_TEST_DATABASE, owner=PIPELINE_TEST_ROLE)
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

    from warehouse import registry

    def run(dag_id: str, conf: dict | None = None, logical_date: str | None = None, expect: str = "success"):
        dag = dag_bag.get_dag(dag_id)
        # dag.test() keeps a run's conf in the DAG's params, so every param is given, its default when not named.
        domain = next(domain for domain in registry.domains() if domain.dag_id == dag_id)
        defaults = {name: spec.get("default") for name, spec in domain.params.items()}
        dag_run = dag.test(
            run_conf={**defaults, **(conf or {})},
            logical_date=pendulum.parse(logical_date) if logical_date else None,
        )
        assert dag_run.state == expect, f"{dag_id} ended {dag_run.state}, expected {expect}"
        return dag_run

    return run


@pytest.fixture
def run_dag(dag_runner, db):
    """Run a DAG on an empty warehouse (see dag_runner)."""
    return dag_runner


def failing_rows(connection, check: str, **parameters) -> list[tuple]:
    """Run a data check (e.g. `telecom/kpi_ranks_ordered`) and return its failing rows."""
    from psycopg import ClientCursor

    from warehouse.models import render

    return ClientCursor(connection).execute(render(f"checks/{check}.sql").sql, parameters or None).fetchall()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def shared_file(*parts: str) -> Path:
    """Return a file from ../shared/data, or skip the test saying why it cannot run."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent: the real sample data lives in ../shared/data beside the project")
    return path


# The API fixtures: what each domain's API tests read, published by real DAG runs and read with the read-only role.


@pytest.fixture(scope="session")
def publications(warehouse_url, dag_runner, tmp_path_factory) -> dict:
    """Publish, once for every API test, what each domain's tests/<domain>/published.py publishes; return what
    each `publish` returned, by domain.

    It all goes to the API tests' own database: the DAG runs load it through the warehouse connection pointed there.
    """
    from warehouse import registry

    recreate_database(API_TEST_DATABASE)
    bootstrap_test_database(API_ADMIN_TEST_URL)
    os.environ["AIRFLOW_CONN_WAREHOUSE"] = API_WAREHOUSE_TEST_URL
    published = {}
    try:
        for domain in registry.domains():
            module = f"tests.{domain.name}.published"
            if importlib.util.find_spec(f"tests.{domain.name}") and importlib.util.find_spec(module):
                publish = importlib.import_module(module).publish
                published[domain.name] = publish(dag_runner, tmp_path_factory.mktemp(f"published-{domain.name}"))
    finally:
        os.environ["AIRFLOW_CONN_WAREHOUSE"] = WAREHOUSE_TEST_URL
    return published


@pytest.fixture(scope="session")
def published(publications) -> str:
    """The read-only URL of the API tests' database, once every domain has published into it."""
    return API_READER_TEST_URL


@pytest.fixture
def app(published):
    from api_endpoint import create_app

    return create_app({"TESTING": True, "DATABASE_URL": published})


@pytest.fixture
def client(app):
    return app.test_client()


# The browser: a real headless Chromium driving the real app over HTTP.

WINDOW = "--window-size=1280,1600"


def chrome_paths() -> tuple[str, str]:
    """Return Debian's chromium and chromedriver, or skip the test saying what is missing."""
    if webdriver is None:
        pytest.skip("selenium is not installed: pip install -e '.[dev]'")
    chromium = shutil.which("chromium")
    chromedriver = shutil.which("chromedriver")
    if not chromium or not chromedriver:
        pytest.skip(
            "a headless browser needs Debian's chromium and chromium-driver: apt-get install chromium chromium-driver"
        )
    return chromium, chromedriver


@pytest.fixture(scope="session")
def chrome():
    """Start one headless Chromium for the session; session-scoped so it is checked before `published` is built."""
    chromium, chromedriver = chrome_paths()
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    # No sandbox: CI runs as root; no /dev/shm: a container's is too small for Chromium's renderer.
    for argument in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", WINDOW):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # An explicit driver path keeps Selenium Manager from trying to download one.
    driver = webdriver.Chrome(service=Service(chromedriver), options=options)
    yield driver
    driver.quit()


@pytest.fixture
def live_server(app):
    """Serve the real app over HTTP on a free loopback port and return its base URL."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()
