"""What comes from the generated sample says so: in the batch's lineage, in `/snapshots`, on every answer of the
domain (`Warehouse-Data: sample`, and `from_sample` in the voucher answers) and on its pages; what comes from a
configured source says nothing of the kind."""

import pytest

from api_endpoint import create_app
from tests.telecom.test_pipeline import EIGHT, deliver, flow
from tests.vouchers.factories import write_voucher_csv
from tests.vouchers.published import PUBLISHED_ROWS
from tests.vouchers.test_api import QUESTION as VOUCHER
from warehouse import loading

AS_OF = "2018-09-15"


@pytest.fixture
def client(reader_url):
    # Ask the database before every answer: this test republishes and asks again at once.
    app = create_app({"TESTING": True, "DATABASE_URL": reader_url, "RECHECK_SECONDS": 0})
    yield app.test_client()
    app.extensions["warehouse_engine"].dispose()


@pytest.fixture
def samples():
    folder = loading.samples_dir()
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_a_voucher_snapshot_of_the_sample_is_labelled_everywhere(run_dag, db, client, samples, tmp_path):
    source = write_voucher_csv(samples / "vouchers.csv", PUBLISHED_ROWS)
    run_dag("voucher_selection", conf={"as_of": AS_OF, "source": str(source)})

    assert db.execute("select is_sample from audit.load_batches").fetchall() == [(True,)]
    answer = client.post("/voucher", json=VOUCHER)
    assert answer.json["from_sample"] is True
    assert answer.headers["Warehouse-Data"] == "sample"
    criteria = client.get("/selection_criteria", headers={"Accept": "application/json"})
    assert criteria.json["from_sample"] is True and criteria.headers["Warehouse-Data"] == "sample"
    assert 'id="sample-data"' in client.get("/selection_criteria", headers={"Accept": "text/html"}).text
    assert 'id="sample-data"' in client.get("/search_voucher").text
    assert client.get("/snapshots").json["vouchers"]["snapshots"][0]["from_sample"] is True
    assert client.get("/ready").json["voucher_snapshot_from_sample"] is True

    # The same rows from a configured file replace the snapshot, and every label goes.
    real = write_voucher_csv(tmp_path / "vouchers.csv", PUBLISHED_ROWS)
    run_dag("voucher_selection", conf={"as_of": AS_OF, "source": str(real)})

    answer = client.post("/voucher", json=VOUCHER)
    assert answer.json["from_sample"] is False and "Warehouse-Data" not in answer.headers
    assert 'id="sample-data"' not in client.get("/selection_criteria", headers={"Accept": "text/html"}).text
    assert client.get("/snapshots").json["vouchers"]["snapshots"][0]["from_sample"] is False


def test_kpis_from_a_sample_landing_folder_are_labelled(run_dag, db, client, samples, tmp_path, monkeypatch):
    landing = samples / "telecom"
    landing.mkdir(exist_ok=True)
    monkeypatch.setenv("TELECOM_LANDING_DIR", str(landing))
    deliver(landing, EIGHT, 1, [flow(EIGHT, 1, 10, 10, 1, 10)])
    run_dag("telecom_kpis")

    kpis = client.get("/kpi1")
    assert kpis.status_code == 200 and kpis.headers["Warehouse-Data"] == "sample"
    assert client.get("/snapshots").json["telecom"]["files"][0]["sample_files"] == 1

    real = tmp_path / "landing"
    real.mkdir()
    monkeypatch.setenv("TELECOM_LANDING_DIR", str(real))
    # Files are known by name: the same name with new content replaces the sample's file.
    deliver(real, EIGHT, 1, [flow(EIGHT, 1, 20, 20, 1, 10)])
    run_dag("telecom_kpis")

    assert "Warehouse-Data" not in client.get("/kpi1").headers
    assert client.get("/snapshots").json["telecom"]["files"][0]["sample_files"] == 0
