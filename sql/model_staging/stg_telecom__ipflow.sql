-- Split, type and check the pending IP-flow batches. A file's newest batch replaces every earlier row of that
-- file (an older pending batch of the same file is superseded, never staged); broken rows go to
-- audit.rejected_rows with the first rule they broke, so raw = clean + rejected.
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
create index if not exists stg_telecom__ipflow_source_idx
    on model_staging.stg_telecom__ipflow (source_name);

create temporary table ipflow_batches (
    batch_id bigint primary key,
    source_name text not null,
    superseded boolean not null
) on commit drop;

insert into ipflow_batches
select
    batch_id,
    source_name,
    batch_id <> max(batch_id) over (partition by source_name) as superseded
from audit.load_batches
where batch_id = any(string_to_array(%(batch_ids)s, ',')::bigint[]);

create temporary table ipflow_validated (
    batch_id bigint,
    source_row_number bigint,
    source_name text,
    interval_start_ms bigint,
    interval_end_ms bigint,
    msisdn bigint,
    bytes_uplink bigint,
    bytes_downlink bigint,
    service_id bigint,
    cell_id bigint,
    reject_reason text,
    record jsonb
) on commit drop;

insert into ipflow_validated
with source as (
    select * from raw.ipflow_records
    where batch_id in (select batch_id from ipflow_batches where not superseded)
),

split as (
    select
        batch_id,
        source_row_number,
        source_name,
        line,
        string_to_array(line, ',') as fields
    from source
),

named as materialized (
    -- Materialized so that each line is split once, not once per reference to one of its fields.
    select
        batch_id,
        source_row_number,
        source_name,
        line,
        cardinality(fields) as field_count,
        nullif(trim(fields[1]), '') as interval_start_timestamp,
        nullif(trim(fields[2]), '') as interval_end_timestamp,
        nullif(trim(fields[3]), '') as msisdn,
        nullif(trim(fields[4]), '') as bytes_uplink,
        nullif(trim(fields[5]), '') as bytes_downlink,
        nullif(trim(fields[6]), '') as service_id,
        nullif(trim(fields[7]), '') as cell_id
    from split
),

checked as materialized (
    -- Materialized so that the rules run once per row, however often the columns below refer to the result.
    -- An integer is digits with an optional minus that fits a bigint (no 0x, 1_000 or 1.0), tested without a
    -- regex, which would cost more than the rest of the model.
    select
        named.*,
        case
            when field_count < 7 then 'field_missing'
            when field_count > 7 then 'too_many_fields'
            when interval_start_timestamp is null then 'interval_start_timestamp_missing'
            when interval_end_timestamp is null then 'interval_end_timestamp_missing'
            when msisdn is null then 'msisdn_missing'
            when bytes_uplink is null then 'bytes_uplink_missing'
            when bytes_downlink is null then 'bytes_downlink_missing'
            when service_id is null then 'service_id_missing'
            when cell_id is null then 'cell_id_missing'
            when not (translate(interval_start_timestamp, '0123456789-', '') = '' and pg_input_is_valid(interval_start_timestamp, 'bigint'))
                then 'interval_start_timestamp_not_integer'
            when not (translate(interval_end_timestamp, '0123456789-', '') = '' and pg_input_is_valid(interval_end_timestamp, 'bigint'))
                then 'interval_end_timestamp_not_integer'
            when not (translate(msisdn, '0123456789-', '') = '' and pg_input_is_valid(msisdn, 'bigint'))
                then 'msisdn_not_integer'
            when not (translate(bytes_uplink, '0123456789-', '') = '' and pg_input_is_valid(bytes_uplink, 'bigint'))
                then 'bytes_uplink_not_integer'
            when not (translate(bytes_downlink, '0123456789-', '') = '' and pg_input_is_valid(bytes_downlink, 'bigint'))
                then 'bytes_downlink_not_integer'
            when not (translate(service_id, '0123456789-', '') = '' and pg_input_is_valid(service_id, 'bigint'))
                then 'service_id_not_integer'
            when not (translate(cell_id, '0123456789-', '') = '' and pg_input_is_valid(cell_id, 'bigint'))
                then 'cell_id_not_integer'
            when bytes_uplink::bigint < 0 then 'bytes_uplink_negative'
            when bytes_downlink::bigint < 0 then 'bytes_downlink_negative'
            when interval_start_timestamp::bigint %% 300000 <> 0
                or interval_end_timestamp::bigint - interval_start_timestamp::bigint <> 300000
                then 'interval_not_aligned_5_minutes'
        end as reject_reason
    from named
),

final as (
    select
        batch_id,
        source_row_number,
        source_name,
        case when reject_reason is null then interval_start_timestamp::bigint end,
        case when reject_reason is null then interval_end_timestamp::bigint end,
        case when reject_reason is null then msisdn::bigint end,
        case when reject_reason is null then bytes_uplink::bigint end,
        case when reject_reason is null then bytes_downlink::bigint end,
        case when reject_reason is null then service_id::bigint end,
        case when reject_reason is null then cell_id::bigint end,
        reject_reason,
        jsonb_build_object('line', line) as record
    from checked
)

select * from final;

-- The earlier version of a re-delivered, changed file: its intervals need recomputing, then its rows go.
insert into model_staging.telecom_dirty_intervals (interval_start_at)
select distinct staged.interval_start_at
from model_staging.stg_telecom__ipflow as staged
where staged.source_name in (select source_name from ipflow_batches)
on conflict do nothing;

delete from model_staging.stg_telecom__ipflow
where source_name in (select source_name from ipflow_batches);

insert into model_staging.stg_telecom__ipflow
select
    batch_id,
    source_row_number,
    source_name,
    to_timestamp(interval_start_ms / 1000.0),
    to_timestamp(interval_end_ms / 1000.0),
    msisdn,
    bytes_uplink,
    bytes_downlink,
    service_id,
    cell_id
from ipflow_validated
where reject_reason is null;

insert into model_staging.telecom_dirty_intervals (interval_start_at)
select distinct to_timestamp(interval_start_ms / 1000.0)
from ipflow_validated
where reject_reason is null
on conflict do nothing;

delete from audit.rejected_rows
where batch_id in (select batch_id from ipflow_batches);

insert into audit.rejected_rows (batch_id, source_kind, source_row_number, rule, record)
select batch_id, 'ipflow_records', source_row_number, reject_reason, record
from ipflow_validated
where reject_reason is not null;

insert into model_staging.telecom_staged_batches (batch_id, superseded)
select batch_id, superseded from ipflow_batches
on conflict (batch_id) do update set superseded = excluded.superseded;
