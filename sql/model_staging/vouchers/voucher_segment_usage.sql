-- How often each voucher amount was used per country and segment, as of one date (one partition per date).
-- A run's snapshot is built from that run's batch alone: each voucher file is a complete history.
{{ config(
    replace="as_of_date = %(as_of)s::date",
    unique_key=["as_of_date", "country_code", "segment_type", "segment_name", "voucher_amount"],
) }}

with events as (
    select * from model_staging.stg_voucher__events
    where batch_id = %(batch_id)s
        and event_at < (%(as_of)s::date + 1)::timestamp at time zone 'UTC'
),

rules as (
    select * from raw.voucher_segment_rules
),

-- Collapse events to distinct (country, orders, last order date, amount) first: segmenting is then cheap.
event_profiles as (
    select
        country_code,
        total_orders,
        %(as_of)s::date - last_order_date as days_since_last_order,
        voucher_amount,
        count(*) as voucher_uses
    from events
    group by country_code, total_orders, last_order_date, voucher_amount
),

measured as (
    select
        event_profiles.country_code,
        event_profiles.voucher_amount,
        event_profiles.voucher_uses,
        measures.measure,
        measures.measured_value
    from event_profiles
    cross join lateral (
        values
            ('total_orders', event_profiles.total_orders),
            ('days_since_last_order', event_profiles.days_since_last_order)
    ) as measures (measure, measured_value)
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
