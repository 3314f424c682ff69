"""Every DAG imports cleanly and follows the house rules: tags, retries, docs, no cycles."""

import pytest

DAG_IDS = ["voucher_selection", "telecom_kpis"]


def test_dags_import_without_errors(dag_bag):
    assert dag_bag.import_errors == {}
    assert set(DAG_IDS) <= set(dag_bag.dag_ids)


@pytest.mark.parametrize("dag_id", DAG_IDS)
def test_dag_follows_the_house_rules(dag_bag, dag_id):
    dag = dag_bag.get_dag(dag_id)
    assert dag.tags, "a DAG needs tags"
    assert dag.doc_md, "a DAG documents itself with doc_md"
    assert dag.catchup is False
    assert dag.max_active_runs == 1
    for task in dag.tasks:
        assert task.retries >= 1, f"{task.task_id} needs retries"


@pytest.mark.parametrize("dag_id", DAG_IDS)
def test_dag_has_no_cycles(dag_bag, dag_id):
    dag = dag_bag.get_dag(dag_id)
    # topological_sort raises on a cycle; every task must appear once.
    assert len(dag.topological_sort()) == len(dag.tasks)


def test_data_checks_sit_between_staging_and_publication(dag_bag):
    dag = dag_bag.get_dag("voucher_selection")
    publish = dag.get_task("publish_voucher_selection")
    checks = {task_id for task_id in publish.upstream_task_ids if task_id.startswith("check_")}
    assert checks == {task.task_id for task in dag.tasks if task.task_id.startswith("check_")}
    assert len(checks) >= 4
