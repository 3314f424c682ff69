-- Every rejected voucher event, as it arrived, with the rule it broke: the rejects joined to the rows raw keeps.
{{ config(materialized="view") }}

with rejected as (
    select * from audit.rejected_rows where source_kind = 'voucher_events'
),

final as (
    select
        rejected.batch_id,
        rejected.source_row_number,
        rejected.rule,
        events."timestamp",
        events.country_code,
        events.last_order_ts,
        events.first_order_ts,
        events.total_orders,
        events.voucher_amount
    from rejected
    inner join raw.voucher_events as events
        on events.batch_id = rejected.batch_id
        and events.source_row_number = rejected.source_row_number
)

select * from final
