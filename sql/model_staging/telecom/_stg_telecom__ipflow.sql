-- The table stg_telecom__ipflow.sql fills. It is made before any run, not from the model's select as other
-- models are, because a run reads the rows a re-delivered file is about to replace (mark_dirty_intervals)
-- before the model replaces them.
create table if not exists model_staging.stg_telecom__ipflow (
    batch_id bigint not null,
    source_row_number bigint not null,
    source_name text not null,
    interval_start_at timestamptz not null,
    interval_end_at timestamptz not null,
    msisdn bigint not null,
    bytes_uplink bigint not null,
    bytes_downlink bigint not null,
    service_id bigint not null,
    cell_id bigint not null,
    primary key (batch_id, source_row_number)
);

create index if not exists stg_telecom__ipflow_interval_idx
    on model_staging.stg_telecom__ipflow (interval_start_at);
-- A file's earlier rows are found by its batches (the primary key leads with batch_id), not by an index of the
-- file's name, which cost a fifth of staging's inserts.
drop index if exists model_staging.stg_telecom__ipflow_source_idx;
