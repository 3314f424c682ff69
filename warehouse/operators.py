"""Airflow operators that run the project's SQL: model steps, data checks and the rejects report."""

from collections.abc import Sequence
from pathlib import Path

from airflow.providers.common.sql.operators.sql import BaseSQLOperator
from airflow.sdk.exceptions import AirflowException

from warehouse.config import SQL_DIR

SAMPLE_ROWS = 20


class WarehouseSQLOperator(BaseSQLOperator):
    """Run project SQL files on the warehouse connection, with the run's work as bound parameters."""

    template_fields: Sequence[str] = ("parameters",)

    def __init__(self, *, parameters: dict | None = None, sql_dir: str | Path = SQL_DIR, **kwargs) -> None:
        super().__init__(**kwargs)
        self.parameters = parameters
        self.sql_dir = Path(sql_dir)

    def render(self, path: str) -> str:
        from warehouse.models import render

        return render(path, self.sql_dir).sql

    def query(self, sql_text: str) -> tuple[list[str], list[tuple]]:
        """Run one query with the run's parameters bound; return its column names and rows."""
        from psycopg import ClientCursor

        with self.get_db_hook().get_conn() as connection:
            cursor = ClientCursor(connection)
            cursor.execute(sql_text, self.parameters or None)
            return [column.name for column in cursor.description], cursor.fetchall()


class ModelOperator(WarehouseSQLOperator):
    """Materialise models in order, in one transaction: the step is all or nothing."""

    ui_color = "#e3f2fd"

    def __init__(self, *, models: Sequence[str], **kwargs) -> None:
        super().__init__(**kwargs)
        self.models = list(models)

    def execute(self, context) -> dict[str, int]:
        from warehouse.models import run_step

        with self.get_db_hook().get_conn() as connection:
            written = run_step(connection, self.models, self.parameters, self.sql_dir)
        for path, rows in written.items():
            self.log.info("%-60s %12s rows", path, f"{rows:,}")
        return written


class FailingRowsCheckOperator(WarehouseSQLOperator):
    """Run a check query that returns the failing rows; fail, showing them, unless it returns none."""

    ui_color = "#fff3c4"

    def __init__(self, *, check: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.check = check

    def execute(self, context) -> None:
        check = self.render(self.check)
        # The check's own SQL (a project file, never request input) runs as a subquery, so only its first rows
        # travel back; its values are bound parameters.
        columns, rows = self.query(
            f"select count(*) over () as failing_rows, failing.* from ({check}\n) as failing limit {SAMPLE_ROWS}"  # noqa: S608
        )
        name = Path(self.check).stem
        if not rows:
            self.log.info("check %s passed: no failing rows", name)
            return
        failing = rows[0][0]
        sample = [dict(zip(columns[1:], row[1:], strict=True)) for row in rows]
        for row in sample:
            self.log.error("failing row: %s", row)
        raise AirflowException(f"check {name} failed with {failing} failing row(s); first: {sample[:3]}")


class RejectsReportOperator(WarehouseSQLOperator):
    """Log, as a table, how many rows of the run's batches each rule rejected."""

    def execute(self, context) -> dict[str, int]:
        _, rows = self.query(self.render("audit/rejects_by_rule.sql"))
        counts = {rule: row_count for rule, row_count in rows}
        if not counts:
            self.log.info("no row was rejected")
            return counts
        width = max(len(rule) for rule in counts)
        lines = [f"{'rule':<{width}}  {'rows':>10}", f"{'-' * width}  {'-' * 10}"]
        lines += [f"{rule:<{width}}  {row_count:>10,}" for rule, row_count in counts.items()]
        lines.append(f"{'total':<{width}}  {sum(counts.values()):>10,}")
        self.log.info("rejected rows by rule:\n%s", "\n".join(lines))
        return counts
