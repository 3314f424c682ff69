-- Usage counts are positive and amounts non-negative in the snapshot about to be published.
select *
from model_staging.voucher_segment_usage
where as_of_date = %(as_of)s::date
    and (voucher_uses <= 0 or voucher_amount < 0);
