"""SQL tests: loading and data checks run directly against PostgreSQL."""
