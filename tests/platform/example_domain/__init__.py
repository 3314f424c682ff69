"""A domain that exists only in the tests: registered at run time, it must get everything a listed domain gets."""

import hashlib
from pathlib import Path

from warehouse import loading
from warehouse.domain import Bench, Domain, Fact, Page, RunContext, Step

SQL_DIR = Path(__file__).parent / "sql"


def load(connection, context: RunContext) -> dict:
    """Load the run's `amounts` (a list of integers) into raw.example_events as one batch."""
    amounts = context.params.get("amounts") or [1, 2, 3]
    lines = [f"{row_number}\t{amount}\n".encode() for row_number, amount in enumerate(amounts, start=1)]
    batch = loading.copy_batch(
        connection,
        source_kind="example_events",
        source_name="example",
        checksum=hashlib.sha256(b"".join(lines)).hexdigest(),
        table="raw.example_events",
        columns=["source_row_number", "amount"],
        chunks=lines,
        copy_format="text",
        dag_id=context.dag_id,
        run_id=context.run_id,
    )
    return {"batch_id": batch.batch_id, "batch_ids": [batch.batch_id]}


def bench_input(folder: Path, rows: int) -> tuple[Path, str, dict]:
    path = folder / "amounts.csv"
    path.write_text("".join(f"{amount}\n" for amount in range(rows)))
    return path, "format csv", {"amounts": list(range(rows))}


DOMAIN = Domain(
    name="example",
    dag_id="example_totals",
    description="the total of the example amounts",
    schedule=None,
    params={"amounts": {"default": None, "type": ["null", "array"], "description": "Amounts to load."}},
    relations=["raw/example/example_events.sql"],
    load="tests.platform.example_domain:load",
    load_task_id="load_amounts",
    stage=Step("stage_example_events", ["model_staging/example/stg_example__events.sql"]),
    build=[Step("build_example_totals", ["model_staging/example/example_totals.sql"])],
    publish=Step("publish_example_totals", ["model_production/example/example_totals.sql"]),
    blueprint="tests.platform.example_domain.api:bp",
    pages=[Page("Example totals", "/example_totals")],
    facts=[
        Fact("example_total", "model_production.example_totals", "select total from model_production.example_totals")
    ],
    bench=Bench(generate="tests.platform.example_domain:bench_input", copy_columns=1, default_rows=100),
    tags=["example"],
    sql_dir=SQL_DIR,
)
