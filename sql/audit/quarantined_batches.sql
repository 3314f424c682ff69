-- Loaded batches that staging could not take in, kept with the database's reason. A step that stages several
-- batches at once stages each alone when the whole fails, and quarantines only those that fail alone, so one bad
-- file never blocks the others. The batch's rows stay in raw as they arrived; a corrected file is a new batch.
create table if not exists audit.quarantined_batches (
    batch_id bigint primary key references audit.load_batches (batch_id),
    step text not null,
    reason text not null,
    dag_id text,
    run_id text,
    quarantined_at timestamptz not null default now()
);
