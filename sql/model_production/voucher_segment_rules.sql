-- The segment rules each snapshot was built with, so an answer and its rules always agree.
create table if not exists model_production.voucher_segment_rules (
    as_of_date date not null,
    segment_type text not null,
    segment_name text not null,
    measure text not null,
    min_value integer not null,
    max_value integer,
    primary key (as_of_date, segment_type, segment_name)
);

delete from model_production.voucher_segment_rules where as_of_date = %(as_of)s::date;

insert into model_production.voucher_segment_rules
select
    %(as_of)s::date as as_of_date,
    segment_type,
    segment_name,
    measure,
    min_value,
    max_value
from raw.voucher_segment_rules;
