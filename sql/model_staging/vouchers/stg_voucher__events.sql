-- Typed, clean voucher events, one partition per batch.
{{ config(
    replace="batch_id = %(batch_id)s",
    unique_key=["batch_id", "source_row_number"],
) }}

with checked as (
    select * from int_voucher__events_checked
),

final as (
    select
        batch_id,
        source_row_number,
        event_at,
        country_code,
        first_order_at,
        last_order_at,
        (last_order_at at time zone 'UTC')::date as last_order_date,
        total_orders,
        voucher_amount
    from checked
    where reject_reason is null
)

select * from final
