-- The rows each rule rejected, per batch, with the first three as they arrived (see batch_quality.sql).
{{ config(materialized="view") }}

with counted as (
    select batch_id, rule, count(*) as row_count
    from audit.rejected_rows
    group by batch_id, rule
),

final as (
    select
        counted.batch_id,
        counted.rule,
        counted.row_count,
        samples.sample
    from counted
    cross join lateral (
        select jsonb_agg(first_rows.record order by first_rows.source_row_number) as sample
        from (
            select rejected.record, rejected.source_row_number
            from audit.rejected_rows as rejected
            -- A voucher reject keeps its record only among the first three of its rule (SAMPLES in
            -- warehouse/domains/vouchers/staging.py): those are the samples.
            where rejected.batch_id = counted.batch_id and rejected.rule = counted.rule
                and rejected.record is not null
            order by rejected.source_row_number
            limit 3
        ) as first_rows
    ) as samples
)

select * from final
