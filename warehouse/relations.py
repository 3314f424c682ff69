"""The relations each pipeline's first task creates, in order; its DAG and the benchmark share them.

Kept apart from the loaders so that a DAG file imports nothing heavy when it is parsed.
"""

VOUCHER_RELATIONS = [
    "schemas.sql",
    "audit/load_batches.sql",
    "audit/rejected_rows.sql",
    "raw/voucher_events.sql",
    "raw/voucher_segment_rules.sql",
]

TELECOM_RELATIONS = [
    "schemas.sql",
    "audit/load_batches.sql",
    "audit/rejected_rows.sql",
    "audit/rejected_files.sql",
    "raw/ipflow_records.sql",
    "model_staging/telecom_staged_batches.sql",
    "model_staging/telecom_dirty_intervals.sql",
]
