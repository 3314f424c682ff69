-- The warehouse's layers, in the order data flows through them, and the pipelines' own bookkeeping.
create schema if not exists raw;
create schema if not exists audit;
-- What a pipeline remembers between runs (batches staged, intervals to recompute): not data anyone reads.
create schema if not exists state;
create schema if not exists model_staging;
create schema if not exists model_production;
