-- The warehouse's layers, in the order data flows through them.
create schema if not exists raw;
create schema if not exists audit;
create schema if not exists model_staging;
create schema if not exists model_production;
