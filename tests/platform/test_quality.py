"""/quality: every loaded batch's row accounting, and the rules that rejected its rows with the rows as they
arrived, as JSON and as pages."""

from warehouse import registry


def test_every_published_batch_accounts_for_its_rows(client):
    batches = client.get("/quality", headers={"Accept": "application/json"}).json["batches"]
    assert {batch["dag_id"] for batch in batches} == {domain.dag_id for domain in registry.domains()}
    for batch in batches:
        assert batch["accepted_rows"] + batch["rejected_rows"] == batch["raw_rows"], batch
    assert [batch["batch_id"] for batch in batches] == sorted((batch["batch_id"] for batch in batches), reverse=True)
    one_dag = client.get("/quality?dag_id=asset_metrics&limit=1", headers={"Accept": "application/json"}).json
    assert [batch["dag_id"] for batch in one_dag["batches"]] == ["asset_metrics"]


def test_a_batchs_rejects_come_by_rule_with_the_rows_as_they_arrived(client):
    batches = client.get("/quality?dag_id=asset_metrics", headers={"Accept": "application/json"}).json["batches"]
    dirty = next(batch for batch in batches if batch["rejected_rows"])
    detail = client.get(f"/quality/{dirty['batch_id']}", headers={"Accept": "application/json"}).json
    assert detail["batch"] == dirty
    assert sum(rule["row_count"] for rule in detail["rules"]) == dirty["rejected_rows"]
    for rule in detail["rules"]:
        assert 1 <= len(rule["sample"]) <= min(3, rule["row_count"])
        assert all(isinstance(record, dict) and record for record in rule["sample"])

    page = client.get(f"/quality/{dirty['batch_id']}", headers={"Accept": "text/html"}).get_data(as_text=True)
    for rule in detail["rules"]:
        assert f"<code>{rule['rule']}</code>" in page
    listing = client.get("/quality", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert f'href="/quality/{dirty["batch_id"]}"' in listing


def test_an_unknown_batch_or_dag_is_a_json_error(client):
    missing = client.get("/quality/987654321", headers={"Accept": "application/json"})
    assert missing.status_code == 404 and missing.json["code"] == "no_batch"
    assert client.get("/quality/99999999999999999999999").status_code == 404
    unknown = client.get("/quality?dag_id=nope", headers={"Accept": "application/json"})
    assert unknown.status_code == 400 and "dag_id" in unknown.json["details"]["fields"]
