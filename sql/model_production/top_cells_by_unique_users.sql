-- KPI2 as served: replaces exactly the dirty intervals (and their hours) with the freshly computed top 3.
create table if not exists model_production.top_cells_by_unique_users (
    interval_name text not null,
    interval_start_at timestamptz not null,
    interval_end_at timestamptz not null,
    cell_rank smallint not null,
    cell_id bigint not null,
    number_of_unique_users bigint not null,
    primary key (interval_name, interval_start_at, cell_rank)
);

create index if not exists top_cells_by_unique_users_start_idx
    on model_production.top_cells_by_unique_users (interval_start_at);

delete from model_production.top_cells_by_unique_users as kpi
using model_staging.telecom_dirty_windows as dirty
where kpi.interval_name = dirty.interval_name
    and kpi.interval_start_at = dirty.interval_start_at;

insert into model_production.top_cells_by_unique_users
select kpi.*
from model_staging.top_cells_by_unique_users as kpi
inner join model_staging.telecom_dirty_windows as dirty
    on kpi.interval_name = dirty.interval_name
    and kpi.interval_start_at = dirty.interval_start_at;
