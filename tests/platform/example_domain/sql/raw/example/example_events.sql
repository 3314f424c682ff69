create table if not exists raw.example_events (
    batch_id bigint not null default current_setting('warehouse.batch_id')::bigint,
    source_row_number bigint not null,
    amount text
);
