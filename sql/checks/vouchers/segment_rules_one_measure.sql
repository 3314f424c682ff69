-- A segment type is measured one way: total orders or days since the last order.
select
    segment_type,
    array_agg(distinct measure) as measures
from raw.voucher_segment_rules
group by segment_type
having count(distinct measure) > 1;
