"""Build a domain's DAG from its declaration: every domain's pipeline has the same shape.

    create_relations >> load >> stage >> [report_rejected_rows, build...] ; build (or stage) >> check_* >> publish

A domain whose loader stages the rows while they load (vouchers) has no stage task: load takes its place.

The load task returns the run's work (the models' bound parameters) or stops the run when there is nothing new.
"""

import datetime as dt

from airflow.sdk import DAG, Asset, Param, dag, task
from airflow.sdk.exceptions import AirflowFailException
from airflow.timetables.trigger import CronTriggerTimetable

from warehouse.config import WAREHOUSE_DATABASE
from warehouse.domain import Domain, RunContext, SourceError, import_string
from warehouse.operators import FailingRowsCheckOperator, ModelOperator, RejectsReportOperator

WAREHOUSE_CONN_ID = "warehouse"
PLATFORM_RELATIONS = [
    "schemas.sql",
    "audit/load_batches.sql",
    "audit/rejected_rows.sql",
    "audit/quarantined_batches.sql",
    "model_production/platform/batch_quality.sql",
    "model_production/platform/batch_rejects.sql",
]


def timetable(domain: Domain) -> CronTriggerTimetable | None:
    if domain.schedule is None:
        return None
    return CronTriggerTimetable(
        domain.schedule.cron,
        timezone="UTC",
        interval=domain.schedule.interval or dt.timedelta(0),
        # Run once at the schedule's next tick, with no backlog of missed runs (there is no start_date).
        run_immediately=dt.timedelta(0),
    )


def published_assets(domain: Domain) -> list[Asset]:
    """The production tables a domain's publication writes, as Airflow Assets: the Airflow UI then draws each
    DAG's lineage to its tables, and another DAG may be scheduled on them."""
    assets = []
    for path in domain.publish.models:
        schema, _, name = path.partition("/")
        if schema == "model_production":
            table = name.rsplit("/", 1)[-1].removesuffix(".sql")
            assets.append(
                Asset(
                    name=f"{schema}.{table}",
                    uri=f"postgres://warehouse:5432/{WAREHOUSE_DATABASE}/{schema}/{table}",
                    group="warehouse",
                )
            )
    return assets


def load_work(domain: Domain, params, dag_id: str, run_id: str, interval_end: dt.datetime) -> dict | None:
    """Run the domain's loader on a warehouse connection; return its work."""
    from airflow.providers.postgres.hooks.postgres import PostgresHook

    loader = import_string(domain.load)
    context = RunContext(params=dict(params or {}), dag_id=dag_id, run_id=run_id, interval_end=interval_end)
    with PostgresHook(postgres_conn_id=WAREHOUSE_CONN_ID).get_conn() as connection:
        return loader(connection, context)


def build_dag(domain: Domain, doc_md: str | None = None) -> DAG:
    """Return the DAG that loads, models, checks and publishes `domain`."""

    @dag(
        dag_id=domain.dag_id,
        schedule=timetable(domain),
        catchup=False,
        max_active_runs=1,
        tags=[*domain.tags, "warehouse"],
        doc_md=doc_md,
        description=domain.description,
        default_args={
            "conn_id": WAREHOUSE_CONN_ID,
            "sql_dir": str(domain.sql_dir),
            # A lost connection or a busy database may pass: retry, waiting twice as long each time. A source that
            # is missing or cannot be read fails at once instead (AirflowFailException, in `load` below).
            "retries": 3,
            "retry_delay": dt.timedelta(seconds=15),
            "retry_exponential_backoff": 2.0,
            "max_retry_delay": dt.timedelta(minutes=5),
        },
        params={name: Param(**spec) for name, spec in domain.params.items()},
    )
    def pipeline():
        create_relations = ModelOperator(task_id="create_relations", models=[*PLATFORM_RELATIONS, *domain.relations])

        @task.short_circuit(task_id=domain.load_task_id, ignore_downstream_trigger_rules=True)
        def load(params=None, dag_run=None, data_interval_end=None) -> dict | bool:
            """Load the run's source into raw; stop the run here when there is nothing new to model."""
            try:
                work = load_work(domain, params, dag_run.dag_id, dag_run.run_id, data_interval_end or dag_run.run_after)
            except SourceError as error:
                # The same file would fail the same way: no retries, and the log says which file and why.
                raise AirflowFailException(str(error)) from error
            return work or False

        work = load()
        # A domain whose loader stages the rows as they load has no staging task.
        stage = work
        if domain.stage is not None:
            stage = ModelOperator(
                task_id=domain.stage.task_id,
                models=domain.stage.models,
                parameters=work,
                quarantine=domain.stage.quarantine,
            )
        report = RejectsReportOperator(task_id="report_rejected_rows", parameters=work)
        build = [ModelOperator(task_id=step.task_id, models=step.models, parameters=work) for step in domain.build]
        checks = [
            FailingRowsCheckOperator(task_id=f"check_{check.rsplit('/', 1)[-1][:-4]}", check=check, parameters=work)
            for check in domain.checks
        ]
        publish = ModelOperator(
            task_id=domain.publish.task_id,
            models=domain.publish.models,
            parameters=work,
            outlets=published_assets(domain),
        )

        create_relations >> work
        if domain.stage is not None:
            work >> stage
        stage >> [report, *build]
        # A domain with no build steps checks what staging made.
        for step in build or [stage]:
            step >> (checks or publish)
        if checks:
            checks >> publish

    return pipeline()
