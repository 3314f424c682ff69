-- KPI1 for every dirty 5-minute interval and the UTC hour around it: the top 3 services by
-- bytes_uplink + bytes_downlink. Ties go to the larger service_id.
create table if not exists model_staging.top_services_by_traffic (
    interval_name text not null check (interval_name in ('5-minute', '1-hour')),
    interval_start_at timestamptz not null,
    interval_end_at timestamptz not null,
    service_rank smallint not null,
    service_id bigint not null,
    total_bytes bigint not null,
    primary key (interval_name, interval_start_at, service_rank)
);

delete from model_staging.top_services_by_traffic as kpi
using model_staging.telecom_dirty_windows as dirty
where kpi.interval_name = dirty.interval_name
    and kpi.interval_start_at = dirty.interval_start_at;

insert into model_staging.top_services_by_traffic
with dirty_hours as (
    select interval_start_at as hour_start_at
    from model_staging.telecom_dirty_windows
    where interval_name = '1-hour'
),

flows as (
    -- Every flow of every dirty hour: the hour's KPI needs all of them, the 5-minute KPIs a subset.
    select ipflow.*
    from model_staging.stg_telecom__ipflow as ipflow
    inner join dirty_hours
        on ipflow.interval_start_at >= dirty_hours.hour_start_at
        and ipflow.interval_start_at < dirty_hours.hour_start_at + interval '1 hour'
),

five_minute_traffic as (
    select
        '5-minute' as interval_name,
        interval_start_at,
        interval_start_at + interval '5 minutes' as interval_end_at,
        service_id,
        sum(bytes_uplink + bytes_downlink) as total_bytes
    from flows
    where interval_start_at in (select interval_start_at from model_staging.telecom_dirty_intervals)
    group by interval_start_at, service_id
),

hourly_traffic as (
    select
        '1-hour' as interval_name,
        date_trunc('hour', interval_start_at) as interval_start_at,
        date_trunc('hour', interval_start_at) + interval '1 hour' as interval_end_at,
        service_id,
        sum(bytes_uplink + bytes_downlink) as total_bytes
    from flows
    group by date_trunc('hour', interval_start_at), service_id
),

ranked as (
    select
        traffic.*,
        row_number() over (
            partition by interval_name, interval_start_at
            order by total_bytes desc, service_id desc
        ) as service_rank
    from (
        select * from five_minute_traffic
        union all
        select * from hourly_traffic
    ) as traffic
),

final as (
    select
        interval_name,
        interval_start_at,
        interval_end_at,
        service_rank,
        service_id,
        total_bytes::bigint
    from ranked
    where service_rank <= 3
)

select * from final;
