-- Source files refused whole (for example an unexpected header), kept with the reason. A file is tried
-- again only when its content changes.
create table if not exists audit.rejected_files (
    source_kind text not null,
    source_name text not null,
    source_checksum text not null,
    reason text not null,
    dag_id text,
    run_id text,
    rejected_at timestamptz not null default now(),
    primary key (source_kind, source_name, source_checksum)
);
