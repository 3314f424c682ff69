{#- Checks every domain makes. -#}

{#- Every raw row of the batch is either clean, rejected or a duplicate (rejects of both kinds sit in
    audit.rejected_rows): nothing is lost. -#}
{% macro row_accounting(raw_table, staged_table) -%}
with raw_rows as (
    select count(*) as row_count from {{ raw_table }} where batch_id = %(batch_id)s
),

clean_rows as (
    select count(*) as row_count from {{ staged_table }} where batch_id = %(batch_id)s
),

rejected_rows as (
    select count(*) as row_count from audit.rejected_rows where batch_id = %(batch_id)s
)

select
    raw_rows.row_count as raw_rows,
    clean_rows.row_count as clean_rows,
    rejected_rows.row_count as rejected_and_duplicate_rows
from raw_rows, clean_rows, rejected_rows
where raw_rows.row_count <> clean_rows.row_count + rejected_rows.row_count
{%- endmacro %}
