-- One row per loaded batch: its file, the run that loaded it, and how its rows were accounted. A view owned by
-- the pipelines' role, so the API's reader sees these counts without reading the audit schema itself.
{{ config(materialized="view") }}

with batches as (
    select * from audit.load_batches
),

final as (
    select
        batches.batch_id,
        batches.source_kind,
        batches.source_name,
        batches.source_checksum,
        batches.is_sample as from_sample,
        batches.dag_id,
        batches.run_id,
        batches.loaded_at,
        batches.row_count as raw_rows,
        (
            select count(*) from audit.rejected_rows as rejected
            where rejected.batch_id = batches.batch_id
        ) as rejected_rows,
        quarantined.reason as quarantine_reason
    from batches
    left join audit.quarantined_batches as quarantined on quarantined.batch_id = batches.batch_id
)

select * from final
