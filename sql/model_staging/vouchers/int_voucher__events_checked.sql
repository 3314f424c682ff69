-- One batch of voucher events, each value parsed once and every row checked against the cleaning rules: the
-- first rule a row breaks is its reject reason. Clean rows go on to stg_voucher__events, the others to
-- audit.rejected_rows (rejected_voucher_events), so raw = clean + rejected + duplicates.
{{ config(materialized="temporary") }}

with source as (
    select * from raw.voucher_events where batch_id = %(batch_id)s
),

numbered as (
    -- Exact copies of an earlier row count once; the later copies are duplicates.
    select
        source.*,
        row_number() over (
            partition by
                "timestamp", country_code, last_order_ts, first_order_ts, total_orders, voucher_amount
            order by source_row_number
        ) as copy_number
    from source
),

trimmed as (
    select
        batch_id,
        source_row_number,
        copy_number,
        nullif(trim("timestamp"), '') as event_ts,
        nullif(trim(country_code), '') as country_code,
        nullif(trim(first_order_ts), '') as first_order_ts,
        nullif(trim(last_order_ts), '') as last_order_ts,
        nullif(trim(total_orders), '') as total_orders,
        nullif(trim(voucher_amount), '') as voucher_amount,
        array["timestamp", country_code, last_order_ts, first_order_ts, total_orders, voucher_amount] as source_values
    from numbered
),

parsed as materialized (
    -- Materialized so that each value is parsed once, however often the rules below refer to it.
    -- A timestamp must start with a digit, which keeps out 'now', 'epoch' and 'infinity'; a number must
    -- not contain an n, which keeps out 'NaN' and 'Infinity'. Both tests are far cheaper than a regex.
    select
        trimmed.*,
        case
            when ascii(event_ts) between 48 and 57 and pg_input_is_valid(event_ts, 'timestamptz')
                then event_ts::timestamptz
        end as event_at,
        case
            when ascii(first_order_ts) between 48 and 57 and pg_input_is_valid(first_order_ts, 'timestamptz')
                then first_order_ts::timestamptz
        end as first_order_at,
        case
            when ascii(last_order_ts) between 48 and 57 and pg_input_is_valid(last_order_ts, 'timestamptz')
                then last_order_ts::timestamptz
        end as last_order_at,
        case
            when pg_input_is_valid(total_orders, 'numeric') and strpos(lower(total_orders), 'n') = 0
                then total_orders::numeric
        end as total_orders_number,
        case
            when pg_input_is_valid(voucher_amount, 'numeric') and strpos(lower(voucher_amount), 'n') = 0
                then voucher_amount::numeric
        end as voucher_amount_number
    from trimmed
),

checked as (
    select
        parsed.*,
        case
            when copy_number > 1 then 'duplicate_row'
            when country_code is null then 'country_code_missing'
            when voucher_amount is null then 'voucher_amount_missing'
            when voucher_amount_number is null then 'voucher_amount_not_a_number'
            when voucher_amount_number < 0 then 'voucher_amount_negative'
            when total_orders is null then 'total_orders_missing'
            when total_orders_number is null then 'total_orders_not_a_number'
            when total_orders_number < 0 then 'total_orders_negative'
            when total_orders_number <> trunc(total_orders_number) then 'total_orders_not_whole'
            when total_orders_number > 2147483647 then 'total_orders_out_of_range'
            when event_ts is null then 'timestamp_missing'
            when event_at is null then 'timestamp_unparseable'
            when first_order_ts is null then 'first_order_ts_missing'
            when first_order_at is null then 'first_order_ts_unparseable'
            when last_order_ts is null then 'last_order_ts_missing'
            when last_order_at is null then 'last_order_ts_unparseable'
            when last_order_at < first_order_at then 'last_order_before_first_order'
            when total_orders_number = 0 then 'zero_orders_with_order_dates'
        end as reject_reason
    from parsed
),

final as (
    select
        batch_id,
        source_row_number,
        event_at,
        country_code,
        first_order_at,
        last_order_at,
        -- Cast only what passed the rules, so one bad value cannot abort the batch.
        case when reject_reason is null then total_orders_number::integer end as total_orders,
        voucher_amount_number as voucher_amount,
        reject_reason,
        -- Only a rejected row is kept as it arrived, so only it pays for building the record.
        case
            when reject_reason is not null then jsonb_build_object(
                'timestamp', source_values[1],
                'country_code', source_values[2],
                'last_order_ts', source_values[3],
                'first_order_ts', source_values[4],
                'total_orders', source_values[5],
                'voucher_amount', source_values[6]
            )
        end as record
    from checked
)

select * from final
