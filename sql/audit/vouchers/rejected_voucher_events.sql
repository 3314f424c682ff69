-- The voucher events of one batch that broke a rule, as they arrived, with the first rule each broke.
{{ config(into="audit.rejected_rows", replace="batch_id = %(batch_id)s") }}

with checked as (
    select * from int_voucher__events_checked
),

final as (
    select
        batch_id,
        'voucher_events' as source_kind,
        source_row_number,
        reject_reason as rule,
        record
    from checked
    where reject_reason is not null
)

select * from final
