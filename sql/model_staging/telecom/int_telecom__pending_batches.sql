-- The batches this run stages. A file's newest batch replaces every earlier row of that file, so an older
-- pending batch of the same file is superseded: recorded as staged, never staged.
{{ config(materialized="temporary") }}

with batches as (
    select * from audit.load_batches where batch_id = any(%(batch_ids)s::bigint[])
),

final as (
    select
        batch_id,
        source_name,
        batch_id <> max(batch_id) over (partition by source_name) as superseded
    from batches
)

select * from final
