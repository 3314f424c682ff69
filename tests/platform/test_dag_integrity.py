"""Every domain has its DAG, each imports cleanly and follows the house rules: tags, retries, docs, no cycles."""

import pytest

from warehouse import registry

DAG_IDS = [domain.dag_id for domain in registry.domains()]


def test_every_registered_domain_has_its_dag_and_nothing_else(dag_bag):
    assert dag_bag.import_errors == {}
    assert set(dag_bag.dag_ids) == set(DAG_IDS)


@pytest.mark.parametrize("dag_id", DAG_IDS)
def test_dag_follows_the_house_rules(dag_bag, dag_id):
    dag = dag_bag.get_dag(dag_id)
    assert dag.tags, "a DAG needs tags"
    assert dag.doc_md, "a DAG documents itself with doc_md"
    assert dag.catchup is False
    assert dag.max_active_runs == 1
    for task in dag.tasks:
        assert task.retries >= 1, f"{task.task_id} needs retries"
        assert task.retry_exponential_backoff > 1, f"{task.task_id} retries with backoff"


@pytest.mark.parametrize("dag_id", DAG_IDS)
def test_dag_has_no_cycles(dag_bag, dag_id):
    dag = dag_bag.get_dag(dag_id)
    # topological_sort raises on a cycle; every task must appear once.
    assert len(dag.topological_sort()) == len(dag.tasks)


@pytest.mark.parametrize("dag_id", DAG_IDS)
def test_data_checks_sit_between_staging_and_publication(dag_bag, dag_id):
    domain = next(domain for domain in registry.domains() if domain.dag_id == dag_id)
    dag = dag_bag.get_dag(dag_id)
    publish = dag.get_task(domain.publish.task_id)
    checks = {task.task_id for task in dag.tasks if task.task_id.startswith("check_")}
    assert len(checks) == len(domain.checks) >= 3
    assert checks <= publish.upstream_task_ids
    for build in domain.build:
        assert checks <= dag.get_task(build.task_id).downstream_task_ids


@pytest.mark.parametrize("dag_id", DAG_IDS)
def test_publication_declares_every_production_table_it_writes_as_an_asset(dag_bag, dag_id):
    from warehouse.models import render

    domain = next(domain for domain in registry.domains() if domain.dag_id == dag_id)
    publish = dag_bag.get_dag(dag_id).get_task(domain.publish.task_id)
    written = {
        render(path, domain.sql_dir).relation
        for path in domain.publish.models
        if render(path, domain.sql_dir).relation.startswith("model_production.")
    }
    assert written and {asset.name for asset in publish.outlets} == written
    assert all(asset.uri.startswith("postgres://") for asset in publish.outlets)
