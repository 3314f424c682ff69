-- One row per file loaded into raw: the lineage every raw, staged and rejected row points back to.
create table if not exists audit.load_batches (
    batch_id bigint generated always as identity primary key,
    source_kind text not null,
    source_name text not null,
    source_checksum text not null,
    row_count bigint not null,
    dag_id text,
    run_id text,
    loaded_at timestamptz not null default now(),
    unique (source_kind, source_name, source_checksum)
);
