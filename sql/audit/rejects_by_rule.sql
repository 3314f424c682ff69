-- How many rows of the given batches each rule rejected (duplicates included), most first.
select
    rule,
    count(*) as row_count
from audit.rejected_rows
where batch_id = any(%(batch_ids)s::bigint[])
group by rule
order by row_count desc, rule
