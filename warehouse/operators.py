"""Airflow operators for the warehouse's data-quality checks."""

from pathlib import Path

from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator
from airflow.sdk.exceptions import AirflowException

SAMPLE_ROWS = 20
WAREHOUSE_CONN_ID = "warehouse"


def report_rejected_rows(batch_ids: str) -> SQLExecuteQueryOperator:
    """Return the task that logs, per rule, how many rows of the given batches (comma-separated) were rejected."""
    return SQLExecuteQueryOperator(
        task_id="report_rejected_rows",
        conn_id=WAREHOUSE_CONN_ID,
        sql="""
            select rule, count(*) as row_count from audit.rejected_rows
            where batch_id = any(string_to_array(%(batch_ids)s, ',')::bigint[])
            group by rule order by row_count desc, rule
        """,
        parameters={"batch_ids": batch_ids},
        show_return_value_in_logs=True,
    )


def include(*paths: str) -> str:
    """Return one SQL template made of several project SQL files, so they run in one transaction."""
    return "\n".join(f"{{% include '{path}' %}}" for path in paths)


class FailingRowsCheckOperator(SQLExecuteQueryOperator):
    """Run a check query that returns the failing rows; fail, showing them, unless it returns none."""

    ui_color = "#fff3c4"

    def __init__(self, *, sql: str, **kwargs) -> None:
        super().__init__(sql=sql, do_xcom_push=False, split_statements=False, **kwargs)

    def execute(self, context) -> None:
        check = self.sql.strip().rstrip(";")
        hook = self.get_db_hook()

        def fetch(cursor):
            columns = [column.name for column in cursor.description]
            return columns, cursor.fetchall()

        # The check's own SQL (a project file, never request input) runs as a subquery, so only its first rows
        # travel back; its values are bound parameters.
        columns, rows = hook.run(
            f"select count(*) over () as failing_rows, failing.* from ({check}\n) as failing limit {SAMPLE_ROWS}",  # noqa: S608
            parameters=self.parameters,
            handler=fetch,
        )
        name = Path(self.task_id).name
        if not rows:
            self.log.info("check %s passed: no failing rows", name)
            return
        failing = rows[0][0]
        sample = [dict(zip(columns[1:], row[1:], strict=True)) for row in rows]
        for row in sample:
            self.log.error("failing row: %s", row)
        raise AirflowException(f"check {name} failed with {failing} failing row(s); first: {sample[:3]}")
