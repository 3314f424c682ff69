"""
### Asset metrics

Loads the casino's daily slot machine meters, so that the API can say why a day's coinIn changed.

1. `create_relations`: schemas, lineage tables and the raw table.
2. `load_asset_metrics_file`: reads `ASSET_METRICS_SOURCE` (or the run's `source`; a path or http(s) URL,
   parquet or CSV) and COPYs it into `raw.asset_metrics` as one batch. A file already published stops the
   run here.
3. `stage_asset_metrics`: types the meters and derives coinIn, handlePulls and the average bets; a row that
   breaks a rule (a negative meter, a non-number, money without games, totals that disagree, a repeated
   gaming day and asset) goes to `audit.rejected_rows` with its rule.
4. `report_rejected_rows`: logs how many rows each rule rejected.
5. `check_*`: data-quality checks; any failing row stops publication and is shown in the task's log.
6. `publish_asset_metrics`: in one transaction, replaces in `model_production.asset_metrics_daily` every
   gaming day and asset the file carries, and records the batch.
"""

# The Airflow DAG is built from the domain's declaration in warehouse/domains/attribution/__init__.py.
from warehouse.pipeline import build_dag
from warehouse.registry import domain

asset_metrics = build_dag(domain("attribution"), doc_md=__doc__)
