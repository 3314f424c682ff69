-- The IP-flow lines of this run's batches that broke a rule, as they arrived, with the first rule each broke.
{{ config(
    into="audit.rejected_rows",
    replace="batch_id in (select batch_id from int_telecom__pending_batches)",
) }}

with checked as (
    select * from int_telecom__ipflow_checked
),

final as (
    select
        batch_id,
        'ipflow_records' as source_kind,
        source_row_number,
        reject_reason as rule,
        jsonb_build_object('line', line) as record
    from checked
    where reject_reason is not null
)

select * from final
