{% from "macros/raw.sql" import lineage %}
-- Voucher-use events exactly as the source file holds them, all text, plus lineage.
-- Each row keeps its batch and source row number; raw.voucher_events_with_lineage adds the batch's source
-- name and load time. The loader sends batch_id with the rows; the default, the loading transaction's
-- setting, serves a COPY that does not.
create table if not exists raw.voucher_events (
    batch_id bigint not null default current_setting('warehouse.batch_id')::bigint,
    source_row_number bigint not null,
    "timestamp" text,
    country_code text,
    last_order_ts text,
    first_order_ts text,
    total_orders text,
    voucher_amount text
);

-- Batches arrive in order, so a block-range index finds one batch at almost no cost to COPY.
create index if not exists voucher_events_batch_idx on raw.voucher_events using brin (batch_id);

{{ lineage("raw.voucher_events") }}
