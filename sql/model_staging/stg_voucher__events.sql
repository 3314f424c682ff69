-- Type and clean one batch of voucher events. Clean rows land here; every other row goes to
-- audit.rejected_rows with the first rule it broke, so raw = clean + rejected + duplicates.
create table if not exists model_staging.stg_voucher__events (
    batch_id bigint not null,
    source_row_number bigint not null,
    event_at timestamptz not null,
    country_code text not null,
    first_order_at timestamptz not null,
    last_order_at timestamptz not null,
    last_order_date date not null,
    total_orders integer not null,
    voucher_amount numeric not null,
    primary key (batch_id, source_row_number)
);

create temporary table voucher_events_validated (
    batch_id bigint,
    source_row_number bigint,
    event_at timestamptz,
    country_code text,
    first_order_at timestamptz,
    last_order_at timestamptz,
    total_orders integer,
    voucher_amount numeric,
    reject_reason text,
    record jsonb
) on commit drop;

insert into voucher_events_validated
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

final as (
    select
        batch_id,
        source_row_number,
        event_at,
        country_code,
        first_order_at,
        last_order_at,
        -- Cast only what can pass the rules, so one bad value cannot abort the batch.
        case
            when total_orders_number between 0 and 2147483647
                and total_orders_number = trunc(total_orders_number)
                then total_orders_number::integer
        end as total_orders,
        voucher_amount_number as voucher_amount,
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
        end as reject_reason,
        source_values
    from parsed
)

select
    batch_id,
    source_row_number,
    event_at,
    country_code,
    first_order_at,
    last_order_at,
    total_orders,
    voucher_amount,
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
    end
from final;

delete from model_staging.stg_voucher__events where batch_id = %(batch_id)s;

insert into model_staging.stg_voucher__events (
    batch_id,
    source_row_number,
    event_at,
    country_code,
    first_order_at,
    last_order_at,
    last_order_date,
    total_orders,
    voucher_amount
)
select
    batch_id,
    source_row_number,
    event_at,
    country_code,
    first_order_at,
    last_order_at,
    (last_order_at at time zone 'UTC')::date,
    total_orders,
    voucher_amount
from voucher_events_validated
where reject_reason is null;

delete from audit.rejected_rows where batch_id = %(batch_id)s;

insert into audit.rejected_rows (batch_id, source_kind, source_row_number, rule, record)
select batch_id, 'voucher_events', source_row_number, reject_reason, record
from voucher_events_validated
where reject_reason is not null;
