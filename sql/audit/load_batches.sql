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
    -- The file is the sample generated under the state folder because no source was configured.
    is_sample boolean not null default false
);

-- Tables made before the column existed get it; checked first, since the ALTER would lock the table every run.
do $$
begin
    if not exists (
        select 1 from pg_attribute
        where attrelid = 'audit.load_batches'::regclass and attname = 'is_sample' and not attisdropped
    ) then
        alter table audit.load_batches add column is_sample boolean not null default false;
    end if;
end
$$;

-- A file may come back with earlier content (a revert), so one name and checksum can have several batches.
create index if not exists load_batches_source_idx on audit.load_batches (source_kind, source_name, batch_id);
