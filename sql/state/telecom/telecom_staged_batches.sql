-- Which loaded telecom batches staging has taken in. A batch loaded by a run that failed later stays
-- pending here, so the next run picks it up: no loaded file is ever left out.
create table if not exists state.telecom_staged_batches (
    batch_id bigint primary key,
    superseded boolean not null
);
