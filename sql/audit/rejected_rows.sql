-- Source rows that broke a cleaning rule, with the rule they broke. Raw keeps each as it arrived; `record` holds
-- it too, for every reject or (vouchers) for the samples the quality pages show.
-- batch_id names a batch of audit.load_batches, written by the transaction that creates the batch, as raw's
-- lineage is. It is not declared a foreign key: the key's check runs once per row, and for a file of millions of
-- rejects it cost more than writing them.
create table if not exists audit.rejected_rows (
    batch_id bigint not null,
    source_kind text not null,
    source_row_number bigint not null,
    rule text not null,
    -- The row as it arrived, as JSON. Vouchers keep it only for the first three rejects of each rule in a batch,
    -- the samples model_production.batch_rejects shows (audit.rejected_voucher_events shows every reject's row).
    record jsonb,
    primary key (batch_id, source_row_number)
);

-- A table made when every reject kept its record. Checked first: the ALTER would lock the table on every run.
do $$
begin
    if exists (
        select from pg_attribute
        where attrelid = 'audit.rejected_rows'::regclass and attname = 'record' and attnotnull
    ) then
        alter table audit.rejected_rows alter column record drop not null;
    end if;
end
$$;

-- Checked first: the ALTER would lock the table on every run.
do $$
begin
    if exists (select from pg_constraint where conname = 'rejected_rows_batch_id_fkey') then
        alter table audit.rejected_rows drop constraint rejected_rows_batch_id_fkey;
    end if;
end
$$;

-- Every query of the rejects names its batch, which the primary key leads with; an index by rule served none of
-- them and cost a quarter of the rejects' COPY.
drop index if exists audit.rejected_rows_rule_idx;
