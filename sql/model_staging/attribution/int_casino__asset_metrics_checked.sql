-- One batch of asset metrics, each value parsed once and every row checked against the cleaning rules: the
-- first rule a row breaks is its reject reason. Clean rows go on to stg_casino__asset_metrics, the others to
-- audit.rejected_rows (rejected_asset_metrics), so raw = clean + rejected + duplicates. Any later row for a
-- gaming day and machine the file carried before is a duplicate, even when that first row broke a rule.
{% from "macros/attribution.sql" import attributes, meters, totals, parse_number, out_of_bounds, not_finite, is_iso_day %}
{{ config(materialized="temporary") }}

with source as not materialized (
    -- Read twice, once for repeated asset-days and once for the rows: two scans are cheaper than a copy.
    select * from raw.asset_metrics where batch_id = %(batch_id)s
),

repeated_asset_days as (
    -- Only the asset-days a file carries more than once, keyed by narrow text: far cheaper than numbering
    -- every row, or than grouping the parsed rows.
    select
        left(trim(gaming_date), 10) as repeated_gaming_date,
        trim(asset_number) as repeated_asset_number,
        min(source_row_number) as first_source_row_number
    from source
    where {{ is_iso_day("trim(gaming_date)") }} and trim(asset_number) <> ''
    group by left(trim(gaming_date), 10), trim(asset_number)
    having count(*) > 1
),

trimmed as (
    -- The columns as they arrived, then each trimmed, with blank as null.
    select
        source.*,
        nullif(trim(gaming_date), '') as gaming_date_text,
        nullif(trim(asset_number), '') as asset_number_text,
        {%- for attribute in attributes %}
        nullif(trim({{ attribute.column }}), '') as {{ attribute.column }}_text,
        {%- endfor %}
        nullif(trim(denomination), '') as denomination_text,
        {%- for meter in meters + totals %}
        nullif(trim({{ meter.column }}), '') as {{ meter.column }}_text{{ "," if not loop.last }}
        {%- endfor %}
    from source
    -- Trimmed once: the parsing below refers to each text three times.
    offset 0
),

parsed as (
    -- Each value is parsed once here, however often the rules below refer to it: `offset 0` keeps the
    -- planner from copying these expressions into every rule, without writing the rows anywhere.
    -- A gaming date is an ISO date, optionally at midnight (a parquet timestamp read as text).
    select
        trimmed.*,
        case
            when {{ is_iso_day("gaming_date_text") }} then left(gaming_date_text, 10)::date
        end as gaming_date_value,
        {{ parse_number("denomination_text") }} as denomination_value,
        {%- for meter in meters + totals %}
        {{ parse_number(meter.column ~ "_text") }} as {{ meter.column }}_value{{ "," if not loop.last }}
        {%- endfor %}
    from trimmed
    offset 0
),

checked as (
    select
        parsed.*,
        case
            when gaming_date_text is null then 'gaming_date_missing'
            when gaming_date_value is null then 'gaming_date_unparseable'
            when asset_number_text is null then 'asset_number_missing'
            {%- for attribute in attributes %}
            when {{ attribute.column }}_text is null then '{{ attribute.column }}_missing'
            {%- endfor %}
            when denomination_text is null then 'denomination_missing'
            when denomination_value is null then 'denomination_not_a_number'
            when {{ out_of_bounds("denomination_value") }} then case
                when {{ not_finite("denomination_value") }} then 'denomination_not_a_number'
                else 'denomination_out_of_range'
            end
            when denomination_value <= 0 then 'denomination_not_positive'
            {%- for meter in meters %}
            when {{ meter.column }}_text is null then '{{ meter.column }}_missing'
            when {{ meter.column }}_value is null then '{{ meter.column }}_not_a_number'
            when {{ out_of_bounds(meter.column ~ "_value") }} then case
                when {{ not_finite(meter.column ~ "_value") }} then '{{ meter.column }}_not_a_number'
                else '{{ meter.column }}_out_of_range'
            end
            {%- if meter.kind != "signed" %}
            when {{ meter.column }}_value < 0 then '{{ meter.column }}_negative'
            {%- endif %}
            {%- if meter.kind == "count" %}
            when {{ meter.column }}_value <> trunc({{ meter.column }}_value) then '{{ meter.column }}_not_whole'
            {%- endif %}
            {%- endfor %}
            {%- for total in totals %}
            when {{ total.column }}_text is not null
                and ({{ total.column }}_value is null or {{ out_of_bounds(total.column ~ "_value") }})
                then '{{ total.column }}_not_a_number'
            {%- endfor %}
            when coin_in_carded_value > 0 and handle_pulls_carded_value = 0 then 'carded_money_without_games'
            when coin_in_carded_value = 0 and handle_pulls_carded_value > 0 then 'carded_games_without_money'
            when coin_in_uncarded_value > 0 and handle_pulls_uncarded_value = 0 then 'uncarded_money_without_games'
            when coin_in_uncarded_value = 0 and handle_pulls_uncarded_value > 0 then 'uncarded_games_without_money'
            -- A total the file carries must equal its parts: money to the cent, games exactly.
            when abs(coin_in_value - (coin_in_carded_value + coin_in_uncarded_value)) >= 0.005
                then 'coin_in_inconsistent'
            when handle_pulls_value <> handle_pulls_carded_value + handle_pulls_uncarded_value
                then 'handle_pulls_inconsistent'
            when first_source_row_number < source_row_number then 'duplicate_asset_day'
        end as reject_reason
    from parsed
    left join repeated_asset_days
        on repeated_asset_days.repeated_gaming_date = left(parsed.gaming_date_text, 10)
        and repeated_asset_days.repeated_asset_number = parsed.asset_number_text
),

final as (
    select
        batch_id,
        source_row_number,
        gaming_date_value as gaming_date,
        asset_number_text as asset_number,
        {%- for attribute in attributes %}
        {{ attribute.column }}_text as {{ attribute.column }},
        {%- endfor %}
        denomination_value as denomination,
        {%- for meter in meters %}
        {%- if meter.kind == "count" %}
        -- Cast only what passed the rules, so one bad value cannot abort the batch.
        case when reject_reason is null then {{ meter.column }}_value::bigint end as {{ meter.column }},
        {%- else %}
        {{ meter.column }}_value as {{ meter.column }},
        {%- endif %}
        {%- endfor %}
        reject_reason,
        -- Only a rejected row is kept as it arrived, so only it pays for building the record.
        case
            when reject_reason is not null then jsonb_strip_nulls(jsonb_build_object(
                'gamingDate', checked.gaming_date,
                'assetNumber', checked.asset_number,
                {%- for attribute in attributes %}
                '{{ attribute.source }}', checked.{{ attribute.column }},
                {%- endfor %}
                'denomination', checked.denomination,
                {%- for meter in meters + totals %}
                '{{ meter.source }}', checked.{{ meter.column }}{{ "," if not loop.last }}
                {%- endfor %}
            ))
        end as record
    from checked
)

select * from final
