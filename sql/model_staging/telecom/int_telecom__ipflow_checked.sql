-- The pending IP-flow lines, split and typed, each checked against the rules: the first rule a line breaks is
-- its reject reason. Clean rows go on to stg_telecom__ipflow, the others to audit.rejected_rows
-- (rejected_ipflow_records), so raw = clean + rejected.
{{ config(materialized="temporary") }}

with source as (
    -- Raw keeps a file's name once, with its batch.
    select records.*, batches.source_name
    from raw.ipflow_records as records
    inner join int_telecom__pending_batches as batches on batches.batch_id = records.batch_id
    where not batches.superseded
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
            -- Epoch milliseconds PostgreSQL can hold as a timestamp, up to the end of year 9999.
            when interval_start_timestamp::bigint not between 0 and 253402300799999
                or interval_end_timestamp::bigint not between 0 and 253402300799999
                then 'interval_out_of_range'
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
        case when reject_reason is null then to_timestamp(interval_start_timestamp::bigint / 1000.0) end
            as interval_start_at,
        case when reject_reason is null then to_timestamp(interval_end_timestamp::bigint / 1000.0) end
            as interval_end_at,
        case when reject_reason is null then msisdn::bigint end as msisdn,
        case when reject_reason is null then bytes_uplink::bigint end as bytes_uplink,
        case when reject_reason is null then bytes_downlink::bigint end as bytes_downlink,
        case when reject_reason is null then service_id::bigint end as service_id,
        case when reject_reason is null then cell_id::bigint end as cell_id,
        reject_reason,
        line
    from checked
)

select * from final
