-- The size, modification and change times and inode with which each landed file was last read and hashed. A
-- file that still has them all is not read again (rsync's quick check, made stricter: a copy that keeps the
-- modification time, as `cp -p` or `rsync -a` do, still gets a new change time and inode), so a run's cost
-- follows what is new in the landing folder, not how much it holds.
create table if not exists state.telecom_seen_files (
    source_name text primary key,
    size_bytes bigint not null,
    modified_ns bigint not null,
    changed_ns bigint not null,
    inode bigint not null,
    source_checksum text not null,
    seen_at timestamptz not null default now()
);
