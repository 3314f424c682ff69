-- The 5-minute intervals whose KPIs must be recomputed: touched by a new file, or by the earlier version
-- of a changed file. Publication empties it, so a failed run leaves its work here for the next one.
create table if not exists state.telecom_dirty_intervals (
    interval_start_at timestamptz primary key
);

-- The KPI windows to recompute and republish: each dirty 5-minute interval and the UTC hour it falls in.
create or replace view state.telecom_dirty_windows as
select '5-minute' as interval_name, interval_start_at from state.telecom_dirty_intervals
union
select '1-hour' as interval_name, date_trunc('hour', interval_start_at) from state.telecom_dirty_intervals;
