-- Typed, clean voucher events, by batch. The loader stages each batch as its file streams into
-- raw.voucher_events, in the same transaction (warehouse/domains/vouchers/staging.py): a row that breaks a
-- cleaning rule goes to audit.rejected_rows instead, so raw = clean + rejected + duplicates.
-- Unlogged, as what is rebuilt from raw may be: it is not written twice (to the write-ahead log), and a crash
-- empties it, after which every run over a file already loaded stages that file again from raw (every run loads
-- its file first). A table made before it was unlogged stays logged, and works the same.
create unlogged table if not exists model_staging.stg_voucher__events (
    batch_id bigint not null,
    source_row_number bigint not null,
    event_at timestamptz not null,
    country_code text not null,
    first_order_at timestamptz not null,
    last_order_at timestamptz not null,
    -- The UTC day of the last order, which the recency segments count from.
    last_order_date date not null,
    total_orders integer not null,
    voucher_amount numeric not null
);

-- Batches arrive in order, so a block-range index finds one batch at almost no cost to COPY. Each row is one
-- source row of its batch by construction, which row accounting checks.
create index if not exists stg_voucher__events_batch_idx on model_staging.stg_voucher__events using brin (batch_id);
