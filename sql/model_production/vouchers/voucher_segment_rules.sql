-- The segment rules each snapshot was built with, so an answer and its rules always agree.
{{ config(
    replace="as_of_date = %(as_of)s::date",
    unique_key=["as_of_date", "segment_type", "segment_name"],
    nullable=["max_value"],
) }}

with rules as (
    select * from raw.voucher_segment_rules
),

final as (
    select
        %(as_of)s::date as as_of_date,
        segment_type,
        segment_name,
        measure,
        min_value,
        max_value
    from rules
)

select * from final
