"""Revenue change attribution: which metrics, assets and attributes explain a day's change in a casino metric."""

import datetime as dt

from warehouse import config
from warehouse.domain import Bench, Domain, Fact, Listing, Page, Schedule, Step

ASSET_METRICS_SOURCE = config.setting(
    "ASSET_METRICS_SOURCE",
    None,
    "path or http(s) URL of the casino's daily asset metrics file (parquet or CSV). Unset: a generated sample.",
)

DOMAIN = Domain(
    name="attribution",
    dag_id="asset_metrics",
    description="which metrics, assets, banks, zones, denominations and game types explain a day's change in coinIn",
    # Daily after midnight UTC; no start_date, so unpausing waits for the next tick instead of a backlog.
    schedule=Schedule("30 0 * * *", interval=dt.timedelta(days=1)),
    params={
        "source": {"default": None, "type": ["null", "string"], "description": "Asset metrics file path or URL."},
    },
    relations=["raw/attribution/asset_metrics.sql"],
    load="warehouse.domains.attribution.source:load",
    load_task_id="load_asset_metrics_file",
    stage=Step(
        "stage_asset_metrics",
        [
            "model_staging/attribution/int_casino__asset_metrics_checked.sql",
            "model_staging/attribution/stg_casino__asset_metrics.sql",
            "audit/attribution/rejected_asset_metrics.sql",
        ],
    ),
    build=[],
    publish=Step(
        "publish_asset_metrics",
        [
            "model_production/attribution/asset_metrics_daily.sql",
            "model_production/attribution/asset_metrics_publications.sql",
        ],
    ),
    blueprint="api_endpoint.attribution:bp",
    pages=[Page("Revenue attribution", "/attribution")],
    listings=[
        Listing(
            "publications",
            "model_production.asset_metrics_publications",
            "select batch_id, source_name, source_checksum, "
            "coalesce((to_jsonb(publications) ->> 'from_sample')::boolean, false) as from_sample, "
            "raw_rows, clean_rows, rejected_rows, duplicate_rows, gaming_days, first_gaming_date, last_gaming_date "
            "from model_production.asset_metrics_publications as publications order by batch_id desc",
        )
    ],
    sample_fact="asset_metrics_from_sample",
    facts=[
        Fact(
            "latest_gaming_date",
            "model_production.asset_metrics_publications",
            "select max(last_gaming_date) from model_production.asset_metrics_publications",
        ),
        Fact(
            "asset_metrics_from_sample",
            "model_production.asset_metrics_publications",
            # Through to_jsonb: a table published before the column existed answers null rather than failing.
            "select coalesce(bool_or((to_jsonb(publications) ->> 'from_sample')::boolean), false) "
            "from model_production.asset_metrics_publications as publications",
        ),
    ],
    sources=[ASSET_METRICS_SOURCE],
    first_run=lambda: {"source": ASSET_METRICS_SOURCE.value()},
    bench=Bench(generate="warehouse.domains.attribution.sample:bench_input", copy_columns=16, default_rows=1_460_000),
    tags=["attribution"],
)
