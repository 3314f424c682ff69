"""
### Telecom KPIs

Every five minutes, picks up new IP-flow files from `TELECOM_LANDING_DIR` and republishes the KPIs of the
intervals they touch, and only those:

- **KPI1**: the top 3 services by traffic (`bytes_uplink + bytes_downlink`);
- **KPI2**: the top 3 cells by distinct users (`msisdn`);

each for every 5-minute interval and every UTC hour. Ties go to the larger id.

1. `create_relations`: schemas, lineage tables, the raw table and the pipeline's state.
2. `load_landed_files`: COPYs each file whose name and content are new into `raw.ipflow_records`. A file
   delivered again unchanged is skipped; a changed one is loaded as a new batch and replaces its old rows.
   The run stops here when nothing is new (nor left behind by a failed run).
3. `stage_ipflow_records`: types and checks the rows; broken rows go to `audit.rejected_rows` with their rule.
   The intervals touched (including those of a changed file's old version) are marked dirty.
4. `report_rejected_rows`: logs how many rows each rule rejected.
5. `build_top_services` / `build_top_cells`: recompute the dirty 5-minute intervals and their hours.
6. `check_*`: data-quality checks; any failing row stops publication and is shown in the task's log.
7. `publish_kpis`: replaces exactly the dirty intervals in `model_production` in one transaction.
"""

# The Airflow DAG is built from the domain's declaration in warehouse/domains/telecom/__init__.py.
from warehouse.pipeline import build_dag
from warehouse.registry import domain

telecom_kpis = build_dag(domain("telecom"), doc_md=__doc__)
