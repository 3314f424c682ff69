-- The answer per (as_of date, country, segment): the most used voucher amount (ties: the smaller amount),
-- its uses, the segment's uses and the runner-up.
{{ config(
    replace="as_of_date = %(as_of)s::date",
    unique_key=["as_of_date", "country_code", "segment_type", "segment_name"],
    nullable=["runner_up_voucher_amount", "runner_up_voucher_uses"],
) }}

with usage as (
    select * from model_staging.voucher_segment_usage where as_of_date = %(as_of)s::date
),

ranked as (
    select
        usage.*,
        row_number() over (
            partition by country_code, segment_type, segment_name
            order by voucher_uses desc, voucher_amount asc
        ) as usage_rank,
        sum(voucher_uses) over (partition by country_code, segment_type, segment_name)::bigint as segment_uses
    from usage
),

final as (
    select
        winner.as_of_date,
        winner.country_code,
        winner.segment_type,
        winner.segment_name,
        winner.voucher_amount,
        winner.voucher_uses,
        winner.segment_uses,
        runner_up.voucher_amount as runner_up_voucher_amount,
        runner_up.voucher_uses as runner_up_voucher_uses
    from ranked as winner
    left join ranked as runner_up
        on runner_up.country_code = winner.country_code
        and runner_up.segment_type = winner.segment_type
        and runner_up.segment_name = winner.segment_name
        and runner_up.usage_rank = 2
    where winner.usage_rank = 1
)

select * from final
