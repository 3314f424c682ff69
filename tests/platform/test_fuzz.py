"""Fuzz every endpoint from the API's own OpenAPI document: no input, valid or not, may cause a 5xx."""

import schemathesis
from hypothesis import HealthCheck, settings

from api_endpoint import create_app
from tests.conftest import API_READER_TEST_URL

# The app opens no connection until a request comes, so the schema can be read at import time.
app = create_app({"TESTING": True, "DATABASE_URL": API_READER_TEST_URL})
schema = schemathesis.openapi.from_wsgi("/openapi.json", app)
# Deterministic, so a run is repeatable; both valid and invalid inputs are generated.
schema.config.generation.update(max_examples=60, deterministic=True)


@schema.parametrize()
@settings(suppress_health_check=list(HealthCheck), deadline=None)
def test_no_input_causes_a_server_error(case, published):
    response = case.call()
    assert response.status_code < 500, f"{case.method} {case.formatted_path} -> {response.status_code}"
    headers = {name.lower(): value for name, value in response.headers.items()}
    content_type = str(headers.get("content-type", ""))
    if response.status_code >= 400 and case.path not in ("/search_voucher", "/selection_criteria"):
        # Only the HTML pages answer errors in HTML (on their own form); every API error is JSON.
        assert "application/json" in content_type
        assert set(response.json()) == {"code", "message", "details"}
