-- Source rows that broke a cleaning rule, kept as they arrived with the rule they broke.
create table if not exists audit.rejected_rows (
    batch_id bigint not null references audit.load_batches (batch_id),
    source_kind text not null,
    source_row_number bigint not null,
    rule text not null,
    record jsonb not null,
    primary key (batch_id, source_row_number)
);

create index if not exists rejected_rows_rule_idx on audit.rejected_rows (source_kind, rule);
