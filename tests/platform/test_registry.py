"""A domain is one declaration: registered from a test-only module, it gets its DAG, its API, readiness, a first
run and a benchmark entry, with no other edit."""

import importlib

import pytest

from tests.conftest import API_READER_TEST_URL, TEST_DATABASE, reset_warehouse
from tests.platform import example_domain
from warehouse import config, registry

EXAMPLE_DAG_FILE = """
# The Airflow DAG of the test-only example domain.
from tests.platform.example_domain import DOMAIN
from warehouse.pipeline import build_dag

example_totals = build_dag(DOMAIN, doc_md="An example.")
"""


def example_dag(folder):
    """Return the example domain's DAG, parsed from a DAG file and serialized as the dag processor would."""
    from airflow.dag_processing.bundles.manager import DagBundlesManager
    from airflow.dag_processing.dagbag import DagBag, sync_bag_to_db

    DagBundlesManager().sync_bundles_to_db()
    (folder / "example_totals.py").write_text(EXAMPLE_DAG_FILE)
    bag = DagBag(str(folder), bundle_path=folder, bundle_name="dags-folder")
    assert bag.import_errors == {}
    sync_bag_to_db(bag, "dags-folder", None)
    return bag.get_dag("example_totals")


@pytest.fixture
def example(warehouse_url):
    reset_warehouse(warehouse_url)
    registry.register(example_domain.DOMAIN)
    yield example_domain.DOMAIN
    registry.unregister(example_domain.DOMAIN.name)


def test_the_registry_lists_the_listed_domains_then_registered_ones(example):
    names = [domain.name for domain in registry.domains()]
    listed = [importlib.import_module(module).DOMAIN.name for module in registry.DOMAIN_MODULES]
    assert names[: len(listed)] == listed and len(set(names)) == len(names)
    assert names[-1] == "example"
    assert registry.domain("example") is example


def test_a_registered_domain_gets_a_dag_that_runs(example, airflow_db, db, tmp_path):
    dag = example_dag(tmp_path)
    assert {task.task_id for task in dag.tasks} == {
        "create_relations",
        "load_amounts",
        "stage_example_events",
        "report_rejected_rows",
        "build_example_totals",
        "check_total_not_negative",
        "publish_example_totals",
    }
    run = dag.test(run_conf={"amounts": [5, 7, 30]})
    assert run.state == "success"
    assert db.execute("select events, total from model_production.example_totals").fetchone() == (3, 42)


def test_a_registered_domain_gets_its_blueprint_and_readiness(example, airflow_db, db, tmp_path):
    from api_endpoint import create_app

    assert example_dag(tmp_path).test(run_conf={"amounts": [1, 2]}).state == "success"
    # The tests' reader role may read this database's model_production too.
    reader = config.with_database(API_READER_TEST_URL, TEST_DATABASE)
    client = create_app({"TESTING": True, "DATABASE_URL": reader}).test_client()
    assert client.get("/example_totals").json == {"events": 2, "total": 3}
    assert client.get("/ready").json["example_total"] == 3
    assert "/example_totals" in client.get("/openapi.json").json["paths"]
    # Its page joins the menu of every page, and the URLs `quickstart run` prints.
    assert '<a href="/example_totals">Example totals</a>' in client.get("/search_voucher").get_data(as_text=True)


def test_a_registered_domain_gets_a_first_run_and_a_bench_entry(example, tmp_path, capsys):
    from bench import pipelines
    from warehouse import cli

    assert ("example_totals", {}) in cli.first_runs()
    cli.print_urls("password")
    assert "Example totals" in capsys.readouterr().out
    assert pipelines.main(["--only", "example", "--example-rows", "50", "--results", str(tmp_path)]) == 0
    (result,) = [path.read_text() for path in tmp_path.glob("pipelines-*.json")]
    assert '"pipeline": "example_totals"' in result and '"rows": 50' in result
