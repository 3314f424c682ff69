{% from "macros/raw.sql" import lineage %}
-- Daily slot machine meters exactly as the source file holds them, all text, plus lineage.
-- Each row keeps its batch and source row number; raw.asset_metrics_with_lineage adds the batch's source
-- name and load time. The loader sends batch_id with the rows; the default, the loading transaction's
-- setting, serves a COPY that does not.
-- coin_in and handle_pulls are null when the file does not carry them.
create table if not exists raw.asset_metrics (
    batch_id bigint not null default current_setting('warehouse.batch_id')::bigint,
    source_row_number bigint not null,
    gaming_date text,
    asset_number text,
    bank text,
    zone text,
    game_type text,
    denomination text,
    coin_in_carded text,
    coin_in_uncarded text,
    handle_pulls_carded text,
    handle_pulls_uncarded text,
    theo_win text,
    actual_win text,
    time_on_device text,
    sessions_carded text,
    coin_in text,
    handle_pulls text
);

-- Batches arrive in order, so a block-range index finds one batch at almost no cost to COPY.
create index if not exists asset_metrics_batch_idx on raw.asset_metrics using brin (batch_id);

{{ lineage("raw.asset_metrics") }}
