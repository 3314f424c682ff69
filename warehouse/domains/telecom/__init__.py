"""Network KPIs: the top 3 services by traffic and the top 3 cells by distinct users, per 5 minutes and per hour."""

from pathlib import Path

from warehouse import config
from warehouse.domain import Bench, Domain, Fact, Listing, Page, Schedule, Step

TELECOM_LANDING_DIR = config.setting(
    "TELECOM_LANDING_DIR",
    None,
    "folder the telecom DAG picks `ipflow_data.ts-<epoch_ms>.<part>.txt` files up from. Unset: a generated sample.",
    Path,
)

DOMAIN = Domain(
    name="telecom",
    dag_id="telecom_kpis",
    description="top services by traffic and top cells by distinct users, per 5-minute interval and UTC hour",
    # Every five minutes; no start_date, so unpausing does not start with a backlog of missed runs.
    schedule=Schedule("*/5 * * * *"),
    params={
        "landing_dir": {
            "default": None,
            "type": ["null", "string"],
            "description": "Landing folder; TELECOM_LANDING_DIR when unset.",
        },
    },
    relations=[
        "audit/rejected_files.sql",
        "raw/telecom/ipflow_records.sql",
        "state/telecom/telecom_staged_batches.sql",
        "state/telecom/telecom_seen_files.sql",
        "state/telecom/telecom_dirty_intervals.sql",
        "model_staging/telecom/_stg_telecom__ipflow.sql",
    ],
    load="warehouse.domains.telecom.source:load",
    load_task_id="load_landed_files",
    stage=Step(
        "stage_ipflow_records",
        [
            "model_staging/telecom/int_telecom__pending_batches.sql",
            "model_staging/telecom/int_telecom__ipflow_checked.sql",
            "state/telecom/mark_dirty_intervals.sql",
            "model_staging/telecom/stg_telecom__ipflow.sql",
            "audit/telecom/rejected_ipflow_records.sql",
            "state/telecom/mark_staged_batches.sql",
        ],
        quarantine="batch_ids",
    ),
    build=[
        Step("build_top_services", ["model_staging/telecom/top_services_by_traffic.sql"]),
        Step("build_top_cells", ["model_staging/telecom/top_cells_by_unique_users.sql"]),
    ],
    publish=Step(
        "publish_kpis",
        [
            "model_production/telecom/top_services_by_traffic.sql",
            "model_production/telecom/top_cells_by_unique_users.sql",
            "model_production/telecom/telecom_published_files.sql",
            "state/telecom/clear_dirty_intervals.sql",
        ],
    ),
    blueprint="api_endpoint.telecom:bp",
    pages=[Page("Top services", "/kpi1"), Page("Top cells", "/kpi2")],
    listings=[
        Listing(
            "coverage",
            "model_production.top_services_by_traffic",
            "select interval_name, min(interval_start_at) as first_interval_start, "
            "max(interval_end_at) as last_interval_end, count(distinct interval_start_at) as intervals "
            "from model_production.top_services_by_traffic group by interval_name order by interval_name",
        ),
        Listing(
            "files",
            "model_production.telecom_published_files",
            "select count(*) as files, count(*) filter (where from_sample) as sample_files, "
            "max(published_at) as last_published_at from model_production.telecom_published_files",
        ),
    ],
    facts=[
        Fact(
            "latest_kpi_interval_end",
            "model_production.top_services_by_traffic",
            "select max(interval_end_at) from model_production.top_services_by_traffic",
        ),
        Fact(
            "kpis_include_sample",
            "model_production.telecom_published_files",
            "select exists (select 1 from model_production.telecom_published_files where from_sample)",
        ),
    ],
    sample_fact="kpis_include_sample",
    sources=[TELECOM_LANDING_DIR],
    bench=Bench(generate="warehouse.domains.telecom.sample:bench_input", copy_columns=7, default_rows=1_000_000),
    tags=["telecom"],
)
