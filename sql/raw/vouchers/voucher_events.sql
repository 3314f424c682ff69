-- Voucher-use events exactly as the source file holds them, all text, plus lineage.
-- batch_id and source_name default to settings made by the loading transaction, so COPY carries only the data.
create table if not exists raw.voucher_events (
    batch_id bigint not null default current_setting('warehouse.batch_id')::bigint,
    source_row_number bigint not null,
    "timestamp" text,
    country_code text,
    last_order_ts text,
    first_order_ts text,
    total_orders text,
    voucher_amount text,
    source_name text not null default current_setting('warehouse.source_name'),
    loaded_at timestamptz not null default now()
);

-- Batches arrive in order, so a block-range index finds one batch at almost no cost to COPY.
create index if not exists voucher_events_batch_idx on raw.voucher_events using brin (batch_id);
