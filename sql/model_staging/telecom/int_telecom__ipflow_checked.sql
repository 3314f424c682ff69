-- The pending IP-flow lines, split and typed, each checked against the rules: the first rule a line breaks is
-- its reject reason. Clean rows go on to stg_telecom__ipflow, the others to audit.rejected_rows
-- (rejected_ipflow_records), so raw = clean + rejected.
{{ config(materialized="temporary") }}

{%- set fields = ["interval_start_timestamp", "interval_end_timestamp", "msisdn", "bytes_uplink", "bytes_downlink", "service_id", "cell_id"] %}

{#- The rules on a line's values, once each field is known to be an integer. -#}
{% macro value_rules() -%}
            when bytes_uplink::bigint < 0 then 'bytes_uplink_negative'
            when bytes_downlink::bigint < 0 then 'bytes_downlink_negative'
            -- Epoch milliseconds PostgreSQL can hold as a timestamp, up to the end of year 9999.
            when interval_start_timestamp::bigint not between 0 and 253402300799999
                or interval_end_timestamp::bigint not between 0 and 253402300799999
                then 'interval_out_of_range'
            when interval_start_timestamp::bigint %% 300000 <> 0
                or interval_end_timestamp::bigint - interval_start_timestamp::bigint <> 300000
                then 'interval_not_aligned_5_minutes'
{%- endmacro %}

with source as (
    -- Raw keeps a file's name once, with its batch.
    select records.*, batches.source_name
    from raw.ipflow_records as records
    inner join int_telecom__pending_batches as batches on batches.batch_id = records.batch_id
    where not batches.superseded
),

split as (
    select
        split_lines.*,
        -- A plain line is seven fields of 1 to 18 digits and nothing else: each is a whole number a bigint holds,
        -- not negative. Nearly every line is plain, and skips the per-field tests below. (This one character
        -- class costs a quarter of translate(); the pattern of the whole line, with counts, ten times as much.)
        line ~ '^[0-9,]+$' and cardinality(fields) = 7
        {%- for field in fields %}
            and length(fields[{{ loop.index }}]) between 1 and 18
        {%- endfor %} as plain
    from (
        -- `offset 0`: each line is split once, however often the fields are read.
        select batch_id, source_row_number, source_name, line, string_to_array(line, ',') as fields
        from source
        offset 0
    ) as split_lines
    -- And whether it is plain is decided once, not once per field that asks.
    offset 0
),

named as (
    select
        batch_id,
        source_row_number,
        source_name,
        line,
        plain,
        cardinality(fields) as field_count,
        {%- for field in fields %}
        case
            when plain then fields[{{ loop.index }}] else nullif(trim(fields[{{ loop.index }}]), '')
        end as {{ field }}{{ "," if not loop.last }}
        {%- endfor %}
    from split
    -- Each field is read once here, however often the rules below refer to it: `offset 0` keeps the planner
    -- from copying these expressions into every rule, without writing the rows anywhere.
    offset 0
),

checked as (
    -- The rules run once per row (`offset 0`), however often the columns below refer to the result. In a line
    -- that is not plain, an integer is digits with an optional minus that fits a bigint (no 0x, 1_000 or 1.0),
    -- tested field by field without a pattern, which would cost more than the rest of the model.
    select
        named.*,
        case
            when plain then case {{ value_rules() }} end
            when field_count < 7 then 'field_missing'
            when field_count > 7 then 'too_many_fields'
            {%- for field in fields %}
            when {{ field }} is null then '{{ field }}_missing'
            {%- endfor %}
            {%- for field in fields %}
            when not (translate({{ field }}, '0123456789-', '') = '' and pg_input_is_valid({{ field }}, 'bigint'))
                then '{{ field }}_not_integer'
            {%- endfor %}
            {{ value_rules() }}
        end as reject_reason
    from named
    offset 0
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
        -- Only a rejected line is kept as it arrived (in its record), so only it is carried on.
        case when reject_reason is not null then line end as line
    from checked
)

select * from final
