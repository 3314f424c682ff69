-- Typed, clean IP-flow records. A file's newest batch replaces every earlier row of that file.
-- Its table is made beforehand by _stg_telecom__ipflow.sql (see why there).
{% from "macros/telecom.sql" import earlier_batches_of_pending_files %}
{{ config(into="model_staging.stg_telecom__ipflow", replace=earlier_batches_of_pending_files) }}

with checked as (
    select * from int_telecom__ipflow_checked
),

final as (
    select
        batch_id,
        source_row_number,
        source_name,
        interval_start_at,
        interval_end_at,
        msisdn,
        bytes_uplink,
        bytes_downlink,
        service_id,
        cell_id
    from checked
    where reject_reason is null
)

select * from final
