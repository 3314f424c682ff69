{{ config(replace="batch_id = %(batch_id)s", unique_key=["batch_id", "source_row_number"]) }}

select batch_id, source_row_number, amount::integer as amount
from raw.example_events
where batch_id = %(batch_id)s
