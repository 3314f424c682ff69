-- Every raw row of the batch is either clean, rejected or a duplicate: nothing is lost.
{% from "macros/checks.sql" import row_accounting %}
{{ row_accounting("raw.asset_metrics", "model_staging.stg_casino__asset_metrics") }}
