"""The API's documentation works without the internet, and its OpenAPI document cannot be changed by a request."""

import re
from collections import Counter

try:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError:  # The `chrome` fixture skips, saying how to get it.
    pass


def test_docs_load_every_asset_from_the_app_itself(client):
    page = client.get("/docs").text
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert assets and all(asset.startswith("/docs/assets/") for asset in assets), assets
    for asset in assets:
        response = client.get(asset)
        assert response.status_code == 200 and len(response.data) > 100, asset


def test_the_openapi_document_names_each_operation_and_no_server_a_request_chose(client):
    spec = client.get("/openapi.json", headers={"Host": "attacker.example"}).json
    assert "servers" not in spec
    operations = [operation for item in spec["paths"].values() for operation in item.values()]
    ids = Counter(operation.get("operationId") for operation in operations)
    assert None not in ids and max(ids.values()) == 1, ids


def test_a_configured_public_url_is_the_only_server(published, monkeypatch):
    from api_endpoint import create_app

    monkeypatch.setenv("API_PUBLIC_URL", "https://warehouse.example.com/api")
    client = create_app({"TESTING": True, "DATABASE_URL": published}).test_client()
    spec = client.get("/openapi.json", headers={"Host": "attacker.example"}).json
    assert spec["servers"] == [{"url": "https://warehouse.example.com/api"}]


def test_swagger_ui_draws_every_operation_offline(chrome, live_server, client):
    # The machine running the browser has no route to a CDN: whatever draws comes from the app.
    paths = client.get("/openapi.json").json["paths"]
    expected = sum(len(item) for item in paths.values())
    chrome.get(f"{live_server}/docs")
    WebDriverWait(chrome, 60).until(lambda driver: len(driver.find_elements(By.CSS_SELECTOR, ".opblock")) >= expected)
    assert len(chrome.find_elements(By.CSS_SELECTOR, ".opblock")) == expected


def test_the_document_is_valid_openapi_and_documents_what_the_code_answers(client):
    from openapi_spec_validator import validate

    spec = client.get("/openapi.json").json
    validate(spec)
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            statuses = set(operation["responses"])
            if path != "/check_status":
                assert "503" in statuses, (method, path)
            if any(parameter["in"] == "query" for parameter in operation.get("parameters", [])):
                assert "400" in statuses, (method, path)
            if "requestBody" in operation:
                assert {"415", "422"} <= statuses, (method, path)


def test_every_request_body_example_is_answered(client):
    spec = client.get("/openapi.json").json
    tried = 0
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            example = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("example")
            if example is None:
                continue
            response = client.open(path, method=method.upper(), json=example, headers={"Accept": "application/json"})
            assert response.status_code == 200, (method, path, response.json)
            tried += 1
    assert tried >= 5


def documented_gets(client):
    """Each documented GET with its query parameters: (path, operation, parameters)."""
    for path, item in client.get("/openapi.json").json["paths"].items():
        if "get" in item:
            operation = item["get"]
            yield path, operation, [p for p in operation.get("parameters", []) if p["in"] == "query"]


def test_a_malformed_query_parameter_answers_the_status_the_document_gives(client):
    # A query parameter the schema refuses is a 400 on the listings, which document no 422; the attribution
    # questions validate on their own and answer 422, and document it beside the 400 of a malformed body.
    tried = 0
    for path, operation, parameters in documented_gets(client):
        typed = [parameter["name"] for parameter in parameters if parameter["schema"].get("type") == "integer"]
        if not typed:
            continue
        response = client.get(path, query_string={typed[0]: "not-a-number"}, headers={"Accept": "application/json"})
        documented = set(operation["responses"]) & {"400", "422"}
        attribution = path in ("/singlerankmetrics", "/grouprankmetrics", "/grouprankdimensions")
        assert response.status_code == (422 if attribution else 400), (path, response.json)
        assert documented == ({"400", "422"} if attribution else {"400"}), (path, documented)
        assert response.json["details"]["fields"], (path, response.json)
        tried += 1
    assert tried >= 6


def test_every_query_that_try_it_out_fills_in_is_answered(client):
    # Swagger UI's "Try it out" sends each parameter's example; each such request must find an answer.
    tried = 0
    for path, _, parameters in documented_gets(client):
        query = {p["name"]: p["schema"]["example"] for p in parameters if "example" in p["schema"]}
        if not query:
            continue
        response = client.get(path, query_string=query, headers={"Accept": "application/json"})
        assert response.status_code == 200, (path, query, response.json)
        tried += 1
    assert tried >= 3
