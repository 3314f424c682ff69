-- How often each voucher amount was used per country and segment, as of one date (one partition per date).
-- A run's snapshot is built from that run's batch alone: each voucher file is a complete history.
{{ config(
    replace="as_of_date = %(as_of)s::date",
    unique_key=["as_of_date", "country_code", "segment_type", "segment_name", "voucher_amount"],
) }}

with events as not materialized (
    -- Scanned once per measure below, rather than written aside whole.
    select * from model_staging.stg_voucher__events
    where batch_id = %(batch_id)s
        and event_at < (%(as_of)s::date + 1)::timestamp at time zone 'UTC'
),

rules as (
    select * from raw.voucher_segment_rules
),

-- Count uses per value of each measure first (few values each: orders, days), so segmenting is cheap.
uses_by_orders as (
    select country_code, total_orders as measured_value, voucher_amount, count(*) as voucher_uses
    from events
    group by country_code, total_orders, voucher_amount
),

uses_by_recency as (
    select country_code, last_order_date, voucher_amount, count(*) as voucher_uses
    from events
    group by country_code, last_order_date, voucher_amount
),

measured as (
    select 'total_orders' as measure, country_code, measured_value, voucher_amount, voucher_uses
    from uses_by_orders
    union all
    select
        'days_since_last_order' as measure,
        country_code,
        %(as_of)s::date - last_order_date as measured_value,
        voucher_amount,
        voucher_uses
    from uses_by_recency
),

segmented as (
    select
        measured.country_code,
        rules.segment_type,
        rules.segment_name,
        measured.voucher_amount,
        measured.voucher_uses
    from measured
    inner join rules
        on rules.measure = measured.measure
        and measured.measured_value >= rules.min_value
        and (rules.max_value is null or measured.measured_value <= rules.max_value)
),

final as (
    select
        %(as_of)s::date as as_of_date,
        %(batch_id)s::bigint as batch_id,
        country_code,
        segment_type,
        segment_name,
        voucher_amount,
        sum(voucher_uses)::bigint as voucher_uses
    from segmented
    group by country_code, segment_type, segment_name, voucher_amount
)

select * from final
