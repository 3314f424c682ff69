{{ config(replace="all") }}

select events, total from model_staging.example_totals
