-- KPI2 for every dirty 5-minute interval and the UTC hour around it: the top 3 cells by distinct msisdn.
-- An hour's users are distinct over the whole hour, not a sum of 5-minute counts. Ties go to the larger cell_id.
create table if not exists model_staging.top_cells_by_unique_users (
    interval_name text not null check (interval_name in ('5-minute', '1-hour')),
    interval_start_at timestamptz not null,
    interval_end_at timestamptz not null,
    cell_rank smallint not null,
    cell_id bigint not null,
    number_of_unique_users bigint not null,
    primary key (interval_name, interval_start_at, cell_rank)
);

delete from model_staging.top_cells_by_unique_users as kpi
using model_staging.telecom_dirty_windows as dirty
where kpi.interval_name = dirty.interval_name
    and kpi.interval_start_at = dirty.interval_start_at;

insert into model_staging.top_cells_by_unique_users
with dirty_hours as (
    select interval_start_at as hour_start_at
    from model_staging.telecom_dirty_windows
    where interval_name = '1-hour'
),

flows as (
    select ipflow.*
    from model_staging.stg_telecom__ipflow as ipflow
    inner join dirty_hours
        on ipflow.interval_start_at >= dirty_hours.hour_start_at
        and ipflow.interval_start_at < dirty_hours.hour_start_at + interval '1 hour'
),

five_minute_users as (
    select
        '5-minute' as interval_name,
        interval_start_at,
        interval_start_at + interval '5 minutes' as interval_end_at,
        cell_id,
        count(distinct msisdn) as number_of_unique_users
    from flows
    where interval_start_at in (select interval_start_at from model_staging.telecom_dirty_intervals)
    group by interval_start_at, cell_id
),

hourly_users as (
    select
        '1-hour' as interval_name,
        date_trunc('hour', interval_start_at) as interval_start_at,
        date_trunc('hour', interval_start_at) + interval '1 hour' as interval_end_at,
        cell_id,
        count(distinct msisdn) as number_of_unique_users
    from flows
    group by date_trunc('hour', interval_start_at), cell_id
),

ranked as (
    select
        users.*,
        row_number() over (
            partition by interval_name, interval_start_at
            order by number_of_unique_users desc, cell_id desc
        ) as cell_rank
    from (
        select * from five_minute_users
        union all
        select * from hourly_users
    ) as users
),

final as (
    select
        interval_name,
        interval_start_at,
        interval_end_at,
        cell_rank,
        cell_id,
        number_of_unique_users
    from ranked
    where cell_rank <= 3
)

select * from final;
