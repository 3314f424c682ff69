"""
### Voucher selection

Builds, for one **as_of** date, the most used voucher amount per country and customer segment.

1. `create_relations`: schemas, lineage tables, the raw table and the segment rules seed.
2. `load_voucher_file`: reads `VOUCHER_SOURCE` (or the run's `source`; a path or http(s) URL, parquet or CSV)
   and COPYs it into `raw.voucher_events` as one batch, as it arrived. In the same pass and transaction it types
   and cleans each row: clean rows go to `model_staging.stg_voucher__events`, broken rows to
   `audit.rejected_rows` with their rule. A file already loaded is reused, not loaded again.
3. `report_rejected_rows`: logs how many rows each rule rejected.
4. `build_voucher_segment_usage`: counts uses per country, segment and amount as of the date.
5. `check_*`: data-quality checks; any failing row stops publication and is shown in the task's log.
6. `publish_voucher_selection`: replaces the date's snapshot in `model_production` in one transaction.

Trigger with conf `{"as_of": "2018-09-15"}` to pick the date. Without it, the snapshot is as of the last
day the run's data interval covers: a scheduled run at midnight builds the day that just ended.
"""

# The Airflow DAG is built from the domain's declaration in warehouse/domains/vouchers/__init__.py.
from warehouse.pipeline import build_dag
from warehouse.registry import domain

voucher_selection = build_dag(domain("vouchers"), doc_md=__doc__)
