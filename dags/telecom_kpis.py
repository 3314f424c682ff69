"""
### Telecom KPIs

Every five minutes, picks up new IP-flow files from `TELECOM_LANDING_DIR` and republishes the KPIs of the
intervals they touch, and only those:

- **KPI1**: the top 3 services by traffic (`bytes_uplink + bytes_downlink`);
- **KPI2**: the top 3 cells by distinct users (`msisdn`);

each for every 5-minute interval and every UTC hour. Ties go to the larger id.

1. `create_relations`: schemas, lineage tables and the raw table.
2. `load_landed_files`: COPYs each file whose name and content are new into `raw.ipflow_records`. A file
   delivered again unchanged is skipped; a changed one is loaded as a new batch and replaces its old rows.
3. `find_pending_work`: stops the run here when nothing is new.
4. `stage_ipflow_records`: types and checks the rows; broken rows go to `audit.rejected_rows` with their rule.
   The intervals touched (including those of a changed file's old version) are marked dirty.
5. `report_rejected_rows`: logs how many rows each rule rejected.
6. `build_top_services` / `build_top_cells`: recompute the dirty 5-minute intervals and their hours.
7. `check_*`: data-quality checks; any failing row stops publication and is shown in the task's log.
8. `publish_kpis`: replaces exactly the dirty intervals in `model_production` in one transaction.
"""

import datetime as dt

from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator
from airflow.sdk import dag, task
from airflow.timetables.trigger import CronTriggerTimetable

from warehouse.config import SQL_DIR
from warehouse.operators import WAREHOUSE_CONN_ID, FailingRowsCheckOperator, include, report_rejected_rows
from warehouse.relations import TELECOM_RELATIONS

PENDING = "{{ ti.xcom_pull(task_ids='find_pending_work')['batch_ids'] | join(',') }}"
CHECKS = sorted(path.stem for path in (SQL_DIR / "checks").glob("telecom_*.sql"))


@dag(
    # Every five minutes; no start_date, so unpausing does not start with a backlog of missed runs.
    schedule=CronTriggerTimetable("*/5 * * * *", timezone="UTC", run_immediately=dt.timedelta(0)),
    catchup=False,
    max_active_runs=1,
    tags=["telecom", "warehouse"],
    doc_md=__doc__,
    template_searchpath=[str(SQL_DIR)],
    default_args={"retries": 2, "retry_delay": dt.timedelta(seconds=15)},
)
def telecom_kpis():
    create_relations = SQLExecuteQueryOperator(
        task_id="create_relations",
        conn_id=WAREHOUSE_CONN_ID,
        sql=include(*TELECOM_RELATIONS),
        split_statements=True,
    )

    @task
    def load_landed_files(dag_run=None) -> int:
        """Load every new or changed file of the landing folder, one batch per file."""
        from airflow.providers.postgres.hooks.postgres import PostgresHook

        from warehouse import telecom

        with PostgresHook(postgres_conn_id=WAREHOUSE_CONN_ID).get_conn() as connection:
            batches = telecom.load_landing(
                connection, telecom.landing_dir(), dag_id=dag_run.dag_id, run_id=dag_run.run_id
            )
        return len(batches)

    @task.short_circuit(ignore_downstream_trigger_rules=True)
    def find_pending_work() -> dict | bool:
        """Return the batches to stage (also any a failed run left behind), or False when there is no work."""
        from airflow.providers.postgres.hooks.postgres import PostgresHook

        from warehouse import telecom

        with PostgresHook(postgres_conn_id=WAREHOUSE_CONN_ID).get_conn() as connection:
            pending = telecom.pending_batches(connection)
            if pending or telecom.has_dirty_intervals(connection):
                return {"batch_ids": pending}
        return False

    stage = SQLExecuteQueryOperator(
        task_id="stage_ipflow_records",
        conn_id=WAREHOUSE_CONN_ID,
        sql=include("model_staging/stg_telecom__ipflow.sql"),
        parameters={"batch_ids": PENDING},
        split_statements=True,
    )

    report = report_rejected_rows(PENDING)

    build_top_services = SQLExecuteQueryOperator(
        task_id="build_top_services",
        conn_id=WAREHOUSE_CONN_ID,
        sql=include("model_staging/top_services_by_traffic.sql"),
        split_statements=True,
    )

    build_top_cells = SQLExecuteQueryOperator(
        task_id="build_top_cells",
        conn_id=WAREHOUSE_CONN_ID,
        sql=include("model_staging/top_cells_by_unique_users.sql"),
        split_statements=True,
    )

    checks = [
        FailingRowsCheckOperator(
            task_id=f"check_{name}",
            conn_id=WAREHOUSE_CONN_ID,
            sql=f"checks/{name}.sql",
            parameters={"batch_ids": PENDING},
        )
        for name in CHECKS
    ]

    publish = SQLExecuteQueryOperator(
        task_id="publish_kpis",
        conn_id=WAREHOUSE_CONN_ID,
        # One transaction: readers see the previous KPIs or the new ones, never a mix.
        sql=include(
            "model_production/top_services_by_traffic.sql",
            "model_production/top_cells_by_unique_users.sql",
            "model_staging/telecom_dirty_intervals_published.sql",
        ),
        split_statements=True,
    )

    pending = find_pending_work()
    create_relations >> load_landed_files() >> pending >> stage
    stage >> [report, build_top_services, build_top_cells]
    for check in checks:
        [build_top_services, build_top_cells] >> check >> publish


telecom_kpis()
