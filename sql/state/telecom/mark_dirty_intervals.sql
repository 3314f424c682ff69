-- The intervals this run's files touch, and those the earlier version of a re-delivered, changed file touched:
-- their KPIs must be recomputed. Runs before stg_telecom__ipflow replaces the earlier rows.
{{ config(into="state.telecom_dirty_intervals", upsert="nothing", unique_key=["interval_start_at"]) }}

with earlier_versions as (
    select distinct staged.interval_start_at
    from model_staging.stg_telecom__ipflow as staged
    where staged.source_name in (select source_name from int_telecom__pending_batches)
),

new_rows as (
    select distinct interval_start_at
    from int_telecom__ipflow_checked
    where reject_reason is null
),

final as (
    select interval_start_at from earlier_versions
    union
    select interval_start_at from new_rows
)

select * from final
