-- One row per published as_of date: which batch it was built from and how that batch's rows were accounted.
{{ config(replace="as_of_date = %(as_of)s::date", unique_key=["as_of_date"]) }}

with batch as (
    select * from audit.load_batches where batch_id = %(batch_id)s
),

clean_rows as (
    select count(*) as row_count from model_staging.stg_voucher__events where batch_id = %(batch_id)s
),

rejected_rows as (
    select
        count(*) filter (where rule <> 'duplicate_row') as rejected_rows,
        count(*) filter (where rule = 'duplicate_row') as duplicate_rows
    from audit.rejected_rows
    where batch_id = %(batch_id)s
),

final as (
    select
        %(as_of)s::date as as_of_date,
        batch.batch_id,
        batch.source_name,
        batch.source_checksum,
        batch.is_sample as from_sample,
        batch.row_count as raw_rows,
        clean_rows.row_count as clean_rows,
        rejected_rows.rejected_rows,
        rejected_rows.duplicate_rows
    from batch, clean_rows, rejected_rows
)

select * from final
