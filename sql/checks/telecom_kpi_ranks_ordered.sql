-- Within each recomputed interval, ranks run 1, 2, 3 and values never increase down the ranking.
with ranked as (
    select
        'top_services_by_traffic' as kpi,
        interval_name,
        interval_start_at,
        service_rank as kpi_rank,
        total_bytes as kpi_value,
        service_id as ranked_id
    from model_staging.top_services_by_traffic
    union all
    select
        'top_cells_by_unique_users',
        interval_name,
        interval_start_at,
        cell_rank,
        number_of_unique_users,
        cell_id
    from model_staging.top_cells_by_unique_users
),

recomputed as (
    select ranked.*
    from ranked
    inner join model_staging.telecom_dirty_windows as dirty
        on ranked.interval_name = dirty.interval_name
        and ranked.interval_start_at = dirty.interval_start_at
),

compared as (
    select
        recomputed.*,
        lag(kpi_value) over by_rank as previous_value,
        lag(ranked_id) over by_rank as previous_id,
        row_number() over by_rank as expected_rank
    from recomputed
    window by_rank as (partition by kpi, interval_name, interval_start_at order by kpi_rank)
)

select *
from compared
where kpi_rank <> expected_rank
    or kpi_rank > 3
    or kpi_value > previous_value
    or (kpi_value = previous_value and ranked_id > previous_id);
