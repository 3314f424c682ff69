-- The 5-minute intervals whose KPIs must be recomputed: touched by a new file, or by the earlier version
-- of a changed file. Publication empties it, so a failed run leaves its work here for the next one.
create table if not exists model_staging.telecom_dirty_intervals (
    interval_start_at timestamptz primary key
);
