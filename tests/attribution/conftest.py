"""The attribution tests' casino: the one tests/attribution/published.py generated and published for the API."""

import pytest


@pytest.fixture(scope="session")
def casino(publications):
    """A generated casino with 20 injected causes and its sidecar: 540 machines over 260 days."""
    return publications["attribution"]
