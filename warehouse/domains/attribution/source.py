"""Extract a casino asset metrics file (parquet or CSV, local or http(s)) and load it into raw.asset_metrics."""

import logging

import psycopg

from warehouse import loading
from warehouse.domain import RunContext
from warehouse.domains.attribution import ASSET_METRICS_SOURCE
from warehouse.domains.attribution.contract import OPTIONAL_COLUMNS, SOURCE_COLUMNS

log = logging.getLogger(__name__)

SOURCE_KIND = "asset_metrics"
RAW_TABLE = "raw.asset_metrics"
# Load a file into raw as one batch; a file already loaded is not loaded again.
load_file = loading.FileSource(
    SOURCE_KIND, RAW_TABLE, SOURCE_COLUMNS, optional=OPTIONAL_COLUMNS, landing="attribution"
).load
# The generated sample: a year of a 600-machine floor with 20 injected causes.
SAMPLE = {"assets": 600, "days": 365, "start": "2018-01-01", "causes": 20}


def default_source() -> str:
    """Return ASSET_METRICS_SOURCE, or the generated sample (made on first use)."""
    return str(
        loading.configured_or_sample(
            ASSET_METRICS_SOURCE,
            "asset_metrics.parquet",
            "warehouse.domains.attribution.sample:write_asset_metrics",
            **SAMPLE,
        )
    )


def load(connection: psycopg.Connection, context: RunContext) -> dict | None:
    """Load the run's file into raw as one batch; None when that exact file is already published."""
    source = context.params.get("source") or default_source()
    batch = load_file(connection, source, dag_id=context.dag_id, run_id=context.run_id)
    if batch.reused and is_published(connection, batch.batch_id):
        log.info("batch %d of %s is already published; nothing new to do", batch.batch_id, source)
        return None
    return {"batch_id": batch.batch_id, "batch_ids": [batch.batch_id]}


def is_published(connection: psycopg.Connection, batch_id: int) -> bool:
    if connection.execute("select to_regclass('model_production.asset_metrics_publications')").fetchone()[0] is None:
        return False
    query = "select exists (select 1 from model_production.asset_metrics_publications where batch_id = %s)"
    return connection.execute(query, (batch_id,)).fetchone()[0]
