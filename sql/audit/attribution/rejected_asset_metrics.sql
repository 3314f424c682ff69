-- The asset metrics rows of one batch that broke a rule, as they arrived, with the first rule each broke.
{{ config(into="audit.rejected_rows", replace="batch_id = %(batch_id)s") }}

with checked as (
    select * from int_casino__asset_metrics_checked
),

final as (
    select
        batch_id,
        'asset_metrics' as source_kind,
        source_row_number,
        reject_reason as rule,
        record
    from checked
    where reject_reason is not null
)

select * from final
