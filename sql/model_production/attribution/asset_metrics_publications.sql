-- One row per published batch: its source, the gaming days it carried and how its rows were accounted.
{{ config(replace="batch_id = %(batch_id)s", unique_key=["batch_id"]) }}

with batch as (
    select * from audit.load_batches where batch_id = %(batch_id)s
),

staged as (
    select
        count(*) as clean_rows,
        count(distinct gaming_date) as gaming_days,
        min(gaming_date) as first_gaming_date,
        max(gaming_date) as last_gaming_date
    from model_staging.stg_casino__asset_metrics
    where batch_id = %(batch_id)s
),

rejected as (
    select
        count(*) filter (where rule <> 'duplicate_asset_day') as rejected_rows,
        count(*) filter (where rule = 'duplicate_asset_day') as duplicate_rows
    from audit.rejected_rows
    where batch_id = %(batch_id)s
),

final as (
    select
        batch.batch_id,
        batch.source_name,
        batch.source_checksum,
        batch.is_sample as from_sample,
        batch.row_count as raw_rows,
        staged.clean_rows,
        rejected.rejected_rows,
        rejected.duplicate_rows,
        staged.gaming_days,
        staged.first_gaming_date,
        staged.last_gaming_date
    from batch, staged, rejected
)

select * from final
