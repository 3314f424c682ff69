-- Record this run's batches as staged (or superseded).
{{ config(into="state.telecom_staged_batches", upsert="update", unique_key=["batch_id"]) }}

select batch_id, superseded from int_telecom__pending_batches
