{% from "macros/raw.sql" import lineage %}
-- IP-flow records exactly as they arrived: one text line per source row (header excluded), plus lineage.
-- Each row keeps its batch and source row number; raw.ipflow_records_with_lineage adds the batch's source
-- name and load time. The loader sends batch_id with the rows; the default, the loading transaction's
-- setting, serves a COPY that does not.
-- Keeping the whole line means a ragged row (a field missing or extra) still lands, to be rejected with
-- its reason in staging instead of aborting the file's COPY.
create table if not exists raw.ipflow_records (
    batch_id bigint not null default current_setting('warehouse.batch_id')::bigint,
    source_row_number bigint not null,
    line text not null
);

create index if not exists ipflow_records_batch_idx on raw.ipflow_records using brin (batch_id);

{{ lineage("raw.ipflow_records") }}
