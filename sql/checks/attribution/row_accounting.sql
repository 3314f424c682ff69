-- Every raw row of the batch is either clean, rejected or a duplicate: nothing is lost.
with raw_rows as (
    select count(*) as row_count from raw.asset_metrics where batch_id = %(batch_id)s
),

clean_rows as (
    select count(*) as row_count from model_staging.stg_casino__asset_metrics where batch_id = %(batch_id)s
),

rejected_rows as (
    select count(*) as row_count from audit.rejected_rows where batch_id = %(batch_id)s
)

select
    raw_rows.row_count as raw_rows,
    clean_rows.row_count as clean_rows,
    rejected_and_duplicate_rows.row_count as rejected_and_duplicate_rows
from raw_rows, clean_rows, rejected_rows as rejected_and_duplicate_rows
where raw_rows.row_count <> clean_rows.row_count + rejected_and_duplicate_rows.row_count;
