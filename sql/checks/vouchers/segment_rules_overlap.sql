-- Segments of one type must not overlap, or one customer would have two answers.
select
    first_rule.segment_type,
    first_rule.segment_name,
    second_rule.segment_name as overlapping_segment_name
from raw.voucher_segment_rules as first_rule
inner join raw.voucher_segment_rules as second_rule
    on first_rule.segment_type = second_rule.segment_type
    and first_rule.segment_name < second_rule.segment_name
    and first_rule.min_value <= coalesce(second_rule.max_value, 2147483647)
    and second_rule.min_value <= coalesce(first_rule.max_value, 2147483647);
