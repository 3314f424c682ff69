"""API tests: the real app through its test client, reading with the read-only role."""
