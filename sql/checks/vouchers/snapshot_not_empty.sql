-- A snapshot with no segmented events means the as_of date precedes the data, or every row was rejected.
select
    %(as_of)s::date as as_of_date,
    'no clean event on or before this date falls in any segment' as problem
where not exists (
    select 1 from model_staging.voucher_segment_usage where as_of_date = %(as_of)s::date
);
