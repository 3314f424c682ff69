-- A file whose every row was rejected publishes nothing: it is far more likely a wrong file than a day off.
select batch_id, count(*) as rejected_rows
from audit.rejected_rows
where batch_id = %(batch_id)s
group by batch_id
having not exists (
    select 1 from model_staging.stg_casino__asset_metrics where batch_id = %(batch_id)s
);
