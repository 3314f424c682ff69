-- One row per landed file the KPIs include: the batch that holds its newest content, its sha256, and whether it
-- is part of the sample generated because no landing folder was configured.
{{ config(upsert="update", unique_key=["source_name"]) }}

with staged as (
    select batch_id from state.telecom_staged_batches
    where batch_id = any(%(batch_ids)s::bigint[])
        and not superseded
),

final as (
    select
        batches.source_name,
        batches.batch_id,
        batches.source_checksum,
        batches.is_sample as from_sample,
        batches.row_count as raw_rows,
        now() as published_at
    from audit.load_batches as batches
    inner join staged on staged.batch_id = batches.batch_id
)

select * from final
