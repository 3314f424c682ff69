"""
### Voucher selection

Builds, for one **as_of** date, the most used voucher amount per country and customer segment.

1. `create_relations`: schemas, lineage tables, the raw table and the segment rules seed.
2. `load_voucher_file`: reads `VOUCHER_SOURCE` (or the run's `source`; a path or http(s) URL, parquet or CSV)
   and COPYs it into `raw.voucher_events` as one batch. A file already loaded is reused, not loaded again.
3. `stage_voucher_events`: types and cleans the batch; broken rows go to `audit.rejected_rows` with their rule.
4. `report_rejected_rows`: logs how many rows each rule rejected.
5. `build_voucher_segment_usage`: counts uses per country, segment and amount as of the date.
6. `check_*`: data-quality checks; any failing row stops publication and is shown in the task's log.
7. `publish_voucher_selection`: replaces the date's snapshot in `model_production` in one transaction.

Trigger with conf `{"as_of": "2018-09-15"}` to pick the date. Without it, the snapshot is as of the last
day the run's data interval covers: a scheduled run at midnight builds the day that just ended.
"""

import datetime as dt

from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator
from airflow.sdk import Param, dag, task
from airflow.timetables.trigger import CronTriggerTimetable

from warehouse.config import SQL_DIR
from warehouse.operators import WAREHOUSE_CONN_ID, FailingRowsCheckOperator, include, report_rejected_rows
from warehouse.relations import VOUCHER_RELATIONS

# Models and checks read the batch and the snapshot date that load_voucher_file chose, as bound parameters.
MODEL_PARAMETERS = {
    "batch_id": "{{ ti.xcom_pull(task_ids='load_voucher_file')['batch_id'] }}",
    "as_of": "{{ ti.xcom_pull(task_ids='load_voucher_file')['as_of'] }}",
}


CHECKS = sorted(path.stem for path in (SQL_DIR / "checks").glob("voucher_*.sql"))


@dag(
    # Daily at midnight UTC, for the day that just ended. There is deliberately no start_date: with one, the
    # scheduler would build today's snapshot the moment the DAG is unpaused; without, it waits for midnight.
    schedule=CronTriggerTimetable(
        "0 0 * * *", timezone="UTC", interval=dt.timedelta(days=1), run_immediately=dt.timedelta(0)
    ),
    catchup=False,
    max_active_runs=1,
    tags=["voucher", "warehouse"],
    doc_md=__doc__,
    template_searchpath=[str(SQL_DIR)],
    default_args={"retries": 2, "retry_delay": dt.timedelta(seconds=15)},
    params={
        "as_of": Param(None, type=["null", "string"], format="date", description="Snapshot date, YYYY-MM-DD."),
        "source": Param(None, type=["null", "string"], description="Voucher file path or URL."),
    },
)
def voucher_selection():
    create_relations = SQLExecuteQueryOperator(
        task_id="create_relations",
        conn_id=WAREHOUSE_CONN_ID,
        sql=include(*VOUCHER_RELATIONS),
        split_statements=True,
    )

    @task
    def load_voucher_file(params=None, data_interval_end=None, dag_run=None) -> dict:
        """Load the voucher file into raw as one batch and pick the snapshot date."""
        from airflow.providers.postgres.hooks.postgres import PostgresHook

        from warehouse import vouchers

        as_of = vouchers.resolve_as_of(params.get("as_of"), data_interval_end or dag_run.run_after)
        source = params.get("source") or vouchers.default_source()
        with PostgresHook(postgres_conn_id=WAREHOUSE_CONN_ID).get_conn() as connection:
            batch = vouchers.load(connection, source, dag_id=dag_run.dag_id, run_id=dag_run.run_id)
        return {**batch.as_dict(), "as_of": as_of.isoformat()}

    stage_voucher_events = SQLExecuteQueryOperator(
        task_id="stage_voucher_events",
        conn_id=WAREHOUSE_CONN_ID,
        sql="model_staging/stg_voucher__events.sql",
        parameters=MODEL_PARAMETERS,
        split_statements=True,
    )

    report = report_rejected_rows(MODEL_PARAMETERS["batch_id"])

    build_usage = SQLExecuteQueryOperator(
        task_id="build_voucher_segment_usage",
        conn_id=WAREHOUSE_CONN_ID,
        sql="model_staging/voucher_segment_usage.sql",
        parameters=MODEL_PARAMETERS,
        split_statements=True,
    )

    checks = [
        FailingRowsCheckOperator(
            task_id=f"check_{name}",
            conn_id=WAREHOUSE_CONN_ID,
            sql=f"checks/{name}.sql",
            parameters=MODEL_PARAMETERS,
        )
        for name in CHECKS
    ]

    publish = SQLExecuteQueryOperator(
        task_id="publish_voucher_selection",
        conn_id=WAREHOUSE_CONN_ID,
        # One transaction: readers see the previous snapshot or this one, never a mix.
        sql=include(
            "model_production/voucher_snapshots.sql",
            "model_production/voucher_segment_rules.sql",
            "model_production/voucher_selection.sql",
        ),
        parameters=MODEL_PARAMETERS,
        split_statements=True,
    )

    batch = load_voucher_file()
    create_relations >> batch >> stage_voucher_events >> [report, build_usage]
    build_usage >> checks >> publish


voucher_selection()
