"""Voucher selection: which voucher amount to offer a customer, from the most used amount in their segment."""

import datetime as dt

from warehouse import config
from warehouse.domain import Bench, Domain, Fact, Listing, Page, Schedule, Step

VOUCHER_SOURCE = config.setting(
    "VOUCHER_SOURCE",
    None,
    "path or http(s) URL of the voucher file (parquet, or CSV with the same columns). Unset: a generated sample.",
)
VOUCHER_AS_OF = config.setting(
    "VOUCHER_AS_OF", "2018-09-15", "snapshot date (YYYY-MM-DD) of the voucher run that `quickstart run` triggers"
)

DOMAIN = Domain(
    name="vouchers",
    dag_id="voucher_selection",
    description="the most used voucher amount per country and customer segment, as of a date",
    # Daily at midnight UTC, for the day that just ended. There is deliberately no start_date: with one, the
    # scheduler would build today's snapshot the moment the DAG is unpaused; without, it waits for midnight.
    schedule=Schedule("0 0 * * *", interval=dt.timedelta(days=1)),
    params={
        "as_of": {"default": None, "type": ["null", "string"], "format": "date", "description": "Snapshot date."},
        "source": {"default": None, "type": ["null", "string"], "description": "Voucher file path or URL."},
    },
    relations=[
        "raw/vouchers/voucher_events.sql",
        "raw/vouchers/voucher_segment_rules.sql",
        "model_staging/vouchers/stg_voucher__events.sql",
        "audit/vouchers/rejected_voucher_events.sql",
    ],
    load="warehouse.domains.vouchers.source:load",
    load_task_id="load_voucher_file",
    # The loader stages each row as the file streams in (warehouse/domains/vouchers/staging.py).
    stage=None,
    build=[Step("build_voucher_segment_usage", ["model_staging/vouchers/voucher_segment_usage.sql"])],
    publish=Step(
        "publish_voucher_selection",
        [
            "model_production/vouchers/voucher_snapshots.sql",
            "model_production/vouchers/voucher_segment_rules.sql",
            "model_production/vouchers/voucher_selection.sql",
        ],
    ),
    blueprint="api_endpoint.vouchers:bp",
    pages=[Page("Search a voucher", "/search_voucher"), Page("Selection criteria", "/selection_criteria")],
    listings=[
        Listing(
            "snapshots",
            "model_production.voucher_snapshots",
            "select as_of_date, source_name, source_checksum, "
            "coalesce((to_jsonb(snapshots) ->> 'from_sample')::boolean, false) as from_sample, "
            "raw_rows, clean_rows, rejected_rows, duplicate_rows "
            "from model_production.voucher_snapshots as snapshots order by as_of_date desc",
        )
    ],
    sample_fact="voucher_snapshot_from_sample",
    facts=[
        Fact(
            "latest_voucher_snapshot",
            "model_production.voucher_snapshots",
            "select max(as_of_date) from model_production.voucher_snapshots",
        ),
        Fact(
            "voucher_snapshot_from_sample",
            "model_production.voucher_snapshots",
            # Through to_jsonb: a table published before the column existed answers null rather than failing.
            "select coalesce((to_jsonb(snapshots) ->> 'from_sample')::boolean, false) "
            "from model_production.voucher_snapshots as snapshots order by as_of_date desc limit 1",
        ),
    ],
    sources=[VOUCHER_SOURCE],
    first_run=lambda: {"as_of": VOUCHER_AS_OF.value(), "source": VOUCHER_SOURCE.value()},
    run_settings=[VOUCHER_AS_OF],
    # Its first run builds the VOUCHER_AS_OF snapshot; at midnight the schedule would build today's from the same
    # file, and that newer snapshot would become the default answer.
    stays_paused=True,
    bench=Bench(generate="warehouse.domains.vouchers.sample:bench_input", copy_columns=6, default_rows=1_000_000),
    tags=["voucher"],
)
