-- Every raw row of the newly staged files is either clean or rejected: nothing is lost.
with staged_batches as (
    select batch_id from state.telecom_staged_batches
    where batch_id = any(%(batch_ids)s::bigint[])
        and not superseded
),

raw_rows as (
    select batch_id, count(*) as row_count
    from raw.ipflow_records
    where batch_id in (select batch_id from staged_batches)
    group by batch_id
),

clean_rows as (
    select batch_id, count(*) as row_count
    from model_staging.stg_telecom__ipflow
    where batch_id = any(%(batch_ids)s::bigint[])
    group by batch_id
),

rejected_rows as (
    select batch_id, count(*) as row_count
    from audit.rejected_rows
    where batch_id = any(%(batch_ids)s::bigint[])
    group by batch_id
)

select
    raw_rows.batch_id,
    raw_rows.row_count as raw_rows,
    coalesce(clean_rows.row_count, 0) as clean_rows,
    coalesce(rejected_rows.row_count, 0) as rejected_rows
from raw_rows
left join clean_rows on clean_rows.batch_id = raw_rows.batch_id
left join rejected_rows on rejected_rows.batch_id = raw_rows.batch_id
where raw_rows.row_count <> coalesce(clean_rows.row_count, 0) + coalesce(rejected_rows.row_count, 0);
