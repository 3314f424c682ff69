{#- The two KPIs share their shape: per dirty 5-minute interval and UTC hour, the top 3 of one id by one
    measure, ties to the larger id. Each macro is called once per KPI: top_services_by_traffic (service_id by
    total bytes) and top_cells_by_unique_users (cell_id by distinct msisdn). -#}

{#- The staged rows of every earlier batch of the files this run stages (int_telecom__pending_batches): a file's
    newest batch replaces them. -#}
{%- set earlier_batches_of_pending_files = "batch_id in (select batch_id from audit.load_batches where source_kind = 'ipflow_records' and source_name in (select source_name from int_telecom__pending_batches))" -%}

{%- set dirty_windows = "(interval_name, interval_start_at) in (select interval_name, interval_start_at from state.telecom_dirty_windows)" -%}

{% macro kpi_config(ranked_id, rank) -%}
{{ config(
    replace=dirty_windows,
    unique_key=["interval_name", "interval_start_at", rank],
    checks={"interval_name_known": "interval_name in ('5-minute', '1-hour')", "rank_in_top_three": rank ~ " between 1 and 3"},
    indexes=["interval_start_at"],
) }}
{%- endmacro %}

{% macro top_three(ranked_id, rank, measure, aggregate) -%}
{{ kpi_config(ranked_id, rank) }}
with dirty_hours as (
    select interval_start_at as hour_start_at
    from state.telecom_dirty_windows
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

five_minute as (
    select
        '5-minute' as interval_name,
        interval_start_at,
        interval_start_at + interval '5 minutes' as interval_end_at,
        {{ ranked_id }},
        {{ aggregate }} as {{ measure }}
    from flows
    where interval_start_at in (select interval_start_at from state.telecom_dirty_intervals)
    group by interval_start_at, {{ ranked_id }}
),

hourly as (
    -- An hour's figure is computed over the whole hour (distinct users are not a sum of 5-minute counts).
    select
        '1-hour' as interval_name,
        date_trunc('hour', interval_start_at) as interval_start_at,
        date_trunc('hour', interval_start_at) + interval '1 hour' as interval_end_at,
        {{ ranked_id }},
        {{ aggregate }} as {{ measure }}
    from flows
    group by date_trunc('hour', interval_start_at), {{ ranked_id }}
),

ranked as (
    select
        measured.*,
        row_number() over (
            partition by interval_name, interval_start_at
            order by {{ measure }} desc, {{ ranked_id }} desc
        ) as {{ rank }}
    from (
        select * from five_minute
        union all
        select * from hourly
    ) as measured
),

final as (
    select
        interval_name,
        interval_start_at,
        interval_end_at,
        {{ rank }}::smallint as {{ rank }},
        {{ ranked_id }},
        {{ measure }}::bigint as {{ measure }}
    from ranked
    where {{ rank }} <= 3
)

select * from final
{%- endmacro %}

{% macro published(table, ranked_id, rank, measure) -%}
{{ kpi_config(ranked_id, rank) }}
with recomputed as (
    select * from model_staging.{{ table }}
    where {{ dirty_windows }}
),

final as (
    select
        interval_name,
        interval_start_at,
        interval_end_at,
        {{ rank }},
        {{ ranked_id }},
        {{ measure }}
    from recomputed
)

select * from final
{%- endmacro %}

{% macro ranks_ordered(table, ranked_id, rank, measure) -%}
    -- Within each recomputed interval of {{ table }}, ranks run 1, 2, 3 and values never increase down the
    -- ranking; ties go to the larger id.
    select *
    from (
        select
            '{{ table }}' as kpi,
            interval_name,
            interval_start_at,
            {{ rank }} as kpi_rank,
            {{ measure }} as kpi_value,
            {{ ranked_id }} as ranked_id,
            lag({{ measure }}) over by_rank as previous_value,
            lag({{ ranked_id }}) over by_rank as previous_id,
            row_number() over by_rank as expected_rank
        from model_staging.{{ table }}
        where {{ dirty_windows }}
        window by_rank as (partition by interval_name, interval_start_at order by {{ rank }})
    ) as compared
    where kpi_rank <> expected_rank
        or kpi_rank > 3
        or kpi_value > previous_value
        or (kpi_value = previous_value and ranked_id > previous_id)
{%- endmacro %}

{% macro hour_covers_its_intervals(table, ranked_id, measure) -%}
    -- A recomputed hour of {{ table }} is never below one of its own 5-minute figures for the same id.
    select
        '{{ table }}' as kpi,
        five_minute.interval_start_at,
        five_minute.{{ ranked_id }} as ranked_id,
        five_minute.{{ measure }} as five_minute_value,
        hourly.{{ measure }} as hourly_value
    from model_staging.{{ table }} as five_minute
    inner join model_staging.{{ table }} as hourly
        on hourly.interval_name = '1-hour'
        and hourly.interval_start_at = date_trunc('hour', five_minute.interval_start_at)
        and hourly.{{ ranked_id }} = five_minute.{{ ranked_id }}
    inner join state.telecom_dirty_windows as dirty
        on dirty.interval_name = '1-hour'
        and dirty.interval_start_at = hourly.interval_start_at
    where five_minute.interval_name = '5-minute'
        and hourly.{{ measure }} < five_minute.{{ measure }}
{%- endmacro %}
