{{ config(replace="all") }}

select count(*) as events, sum(amount)::bigint as total
from model_staging.stg_example__events
where batch_id = %(batch_id)s
