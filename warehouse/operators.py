"""Airflow operators that run the project's SQL: model steps, data checks and the rejects report."""

from collections.abc import Sequence
from pathlib import Path

from airflow.providers.common.sql.operators.sql import BaseSQLOperator
from airflow.sdk.exceptions import AirflowFailException

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
    """Materialise models in order, in one transaction: the step is all or nothing (but see `quarantine`)."""

    ui_color = "#e3f2fd"

    def __init__(self, *, models: Sequence[str], quarantine: str | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.models = list(models)
        self.quarantine = quarantine

    def execute(self, context) -> dict[str, int]:
        import psycopg

        from warehouse.models import run_step

        with self.get_db_hook().get_conn() as connection:
            try:
                written = run_step(connection, self.models, self.parameters, self.sql_dir)
            except (psycopg.errors.DataError, psycopg.errors.IntegrityError) as error:
                # What the data made the database refuse fails the same way on a retry; a lost connection does not
                # land here, and is retried.
                batches = (self.parameters or {}).get(self.quarantine) if self.quarantine else None
                if not batches:
                    raise
                self.log.error("the batches %s together failed (%s): taking each in alone", batches, error)
                written = self.batch_by_batch(connection, batches, context)
        for path, rows in written.items():
            self.log.info("%-60s %12s rows", path, f"{rows:,}")
        return written

    def batch_by_batch(self, connection, batches: list[int], context) -> dict[str, int]:
        """Run the step once per file, oldest first, each in its own transaction, with every pending batch of that
        file (so its newest version still supersedes the older ones); quarantine the batches of a file the
        database refuses, with its reason, so the other files are taken in and the run goes on. When no file can
        be taken in, the fault is the step's, not a file's: nothing is quarantined and the task fails."""
        import psycopg

        from warehouse.models import run_step

        files: dict[str, list[int]] = {}
        # In a transaction of its own, so that each file's step below is a transaction, not a savepoint.
        with connection.transaction():
            named = connection.execute(
                "select batch_id, source_name from audit.load_batches where batch_id = any(%s) order by batch_id",
                (sorted(batches),),
            ).fetchall()
        for batch_id, source_name in named:
            files.setdefault(source_name, []).append(batch_id)
        written: dict[str, int] = {}
        refused: dict[str, tuple[list[int], str]] = {}
        for source_name, file_batches in files.items():
            try:
                alone = run_step(
                    connection, self.models, {**self.parameters, self.quarantine: file_batches}, self.sql_dir
                )
            except (psycopg.errors.DataError, psycopg.errors.IntegrityError) as error:
                refused[source_name] = (file_batches, str(error).strip())
                continue
            for path, rows in alone.items():
                written[path] = written.get(path, 0) + rows
        if refused and len(refused) == len(files):
            # The same data fails the same way again: no retries.
            raise AirflowFailException(f"staging refused every file alone, so the step itself is at fault: {refused}")
        for source_name, (file_batches, reason) in refused.items():
            with connection.transaction():
                for batch_id in file_batches:
                    connection.execute(
                        "insert into audit.quarantined_batches (batch_id, step, reason, dag_id, run_id) "
                        "values (%s, %s, %s, %s, %s) on conflict (batch_id) do nothing",
                        (batch_id, self.task_id, reason, self.dag_id, context["run_id"]),
                    )
            self.log.error("quarantined %s (batches %s): %s", source_name, file_batches, reason)
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
        # The same rows would fail the same way: no retries (a lost connection, raised by the query, still retries).
        raise AirflowFailException(f"check {name} failed with {failing} failing row(s); first: {sample[:3]}")


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
