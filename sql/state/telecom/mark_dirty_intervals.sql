-- The intervals this run's files touch, and those the earlier version of a re-delivered, changed file touched:
-- their KPIs must be recomputed. Runs before stg_telecom__ipflow replaces the earlier rows.
{% from "macros/telecom.sql" import earlier_batches_of_pending_files %}
{{ config(into="state.telecom_dirty_intervals", upsert="nothing", unique_key=["interval_start_at"]) }}

with earlier_versions as (
    select distinct interval_start_at
    from model_staging.stg_telecom__ipflow
    where {{ earlier_batches_of_pending_files }}
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
