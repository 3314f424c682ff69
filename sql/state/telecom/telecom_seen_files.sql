-- The size and modification time at which each landed file was last read and hashed. A file that still has
-- them is not read again (the quick check rsync makes), so a run's cost follows what is new in the landing
-- folder, not how much it holds.
create table if not exists state.telecom_seen_files (
    source_name text primary key,
    size_bytes bigint not null,
    modified_ns bigint not null,
    source_checksum text not null,
    seen_at timestamptz not null default now()
);
