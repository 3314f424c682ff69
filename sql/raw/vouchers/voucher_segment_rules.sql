-- Customer segments are data: edit this table to change them; the next run uses the new rules.
-- The seed only fills an empty table, so edits (and deletions) survive later runs.
create table if not exists raw.voucher_segment_rules (
    segment_type text not null,
    segment_name text not null,
    measure text not null check (measure in ('total_orders', 'days_since_last_order')),
    min_value integer not null,
    max_value integer,
    primary key (segment_type, segment_name),
    check (max_value is null or max_value >= min_value)
);

insert into raw.voucher_segment_rules (segment_type, segment_name, measure, min_value, max_value)
select seed.*
from (
    values
        ('frequent_segment', '1-4', 'total_orders', 1, 4),
        ('frequent_segment', '5-13', 'total_orders', 5, 13),
        ('frequent_segment', '14-37', 'total_orders', 14, 37),
        ('recency_segment', '30-60', 'days_since_last_order', 30, 60),
        ('recency_segment', '61-90', 'days_since_last_order', 61, 90),
        ('recency_segment', '91-120', 'days_since_last_order', 91, 120),
        ('recency_segment', '121-180', 'days_since_last_order', 121, 180),
        ('recency_segment', '180+', 'days_since_last_order', 181, null)
) as seed (segment_type, segment_name, measure, min_value, max_value)
where not exists (select 1 from raw.voucher_segment_rules);
