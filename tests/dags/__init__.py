"""DAG tests: real dag.test() runs on a real PostgreSQL."""
