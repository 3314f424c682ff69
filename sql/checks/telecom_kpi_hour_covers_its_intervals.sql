-- A recomputed hour holds all of its 5-minute intervals: a service's hourly bytes, and a cell's hourly
-- distinct users, are never below that service's or cell's figure in one of the hour's 5-minute intervals.
select
    'top_services_by_traffic' as kpi,
    five_minute.interval_start_at,
    five_minute.service_id as ranked_id,
    five_minute.total_bytes as five_minute_value,
    hourly.total_bytes as hourly_value
from model_staging.top_services_by_traffic as five_minute
inner join model_staging.top_services_by_traffic as hourly
    on hourly.interval_name = '1-hour'
    and hourly.interval_start_at = date_trunc('hour', five_minute.interval_start_at)
    and hourly.service_id = five_minute.service_id
inner join model_staging.telecom_dirty_windows as dirty
    on dirty.interval_name = '1-hour'
    and dirty.interval_start_at = hourly.interval_start_at
where five_minute.interval_name = '5-minute'
    and hourly.total_bytes < five_minute.total_bytes

union all

select
    'top_cells_by_unique_users',
    five_minute.interval_start_at,
    five_minute.cell_id,
    five_minute.number_of_unique_users,
    hourly.number_of_unique_users
from model_staging.top_cells_by_unique_users as five_minute
inner join model_staging.top_cells_by_unique_users as hourly
    on hourly.interval_name = '1-hour'
    and hourly.interval_start_at = date_trunc('hour', five_minute.interval_start_at)
    and hourly.cell_id = five_minute.cell_id
inner join model_staging.telecom_dirty_windows as dirty
    on dirty.interval_name = '1-hour'
    and dirty.interval_start_at = hourly.interval_start_at
where five_minute.interval_name = '5-minute'
    and hourly.number_of_unique_users < five_minute.number_of_unique_users;
