"""The API on a streaming replica: each publication on the primary appears there whole, within seconds, and the
API answers 503 JSON while the replica is down and recovers when it returns."""

import threading
import time

import pytest

from tests.conftest import free_port
from tests.vouchers.factories import write_voucher_csv
from tests.vouchers.published import PUBLISHED_ROWS
from warehouse import config, server

pytestmark = pytest.mark.slow


@pytest.fixture
def replicated(tmp_path, monkeypatch):
    """A primary of this test's own with a streaming replica, and the API reading the replica as quickstart does."""
    monkeypatch.setenv("WAREHOUSE_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("WAREHOUSE_PORT", str(free_port()))
    monkeypatch.setenv("WAREHOUSE_REPLICA_PORT", str(free_port()))
    monkeypatch.setenv("WAREHOUSE_REPLICA", "1")
    # The other tests' warehouse and reader are not this cluster's: this one is the embedded server's.
    monkeypatch.delenv("WAREHOUSE_URL")
    monkeypatch.delenv("WAREHOUSE_ADMIN_URL")
    monkeypatch.delenv("WAREHOUSE_READER_PASSWORD")
    from api_endpoint import create_app
    from warehouse.bootstrap import bootstrap

    server.start()
    app = None
    try:
        primary = config.warehouse_url()
        bootstrap(config.admin_url(), config.reader_password(), pipeline_url=primary)
        server.start_replica()
        assert config.api_database_url() == config.with_port(
            config.with_role(primary, config.READER_ROLE, config.reader_password()),
            config.WAREHOUSE_REPLICA_PORT.value(),
        )
        # Ask the replica before every answer, so that readers during a publication read it, not their memory.
        app = create_app({"TESTING": True, "RECHECK_SECONDS": 0})
        monkeypatch.setenv("AIRFLOW_CONN_WAREHOUSE", primary)
        yield app
    finally:
        if app is not None:
            app.extensions["warehouse_engine"].dispose()
        server.stop_replica()
        server.stop()


def publish(dag_runner, folder, as_of: str, rows: list[dict]) -> None:
    source = write_voucher_csv(folder / f"vouchers-{as_of}.csv", rows)
    dag_runner("voucher_selection", conf={"as_of": as_of, "source": str(source)})


def until_served(client, as_of: str, seconds: float = 60) -> dict:
    """Poll the replica-backed API until it serves the snapshot of `as_of` as its latest, and return that answer."""
    deadline = time.monotonic() + seconds
    while True:
        response = client.get("/selection_criteria")
        if response.status_code == 200 and response.json["as_of"] == as_of:
            return response.json
        assert time.monotonic() < deadline, f"the replica did not serve {as_of}: {response.status_code} {response.json}"
        time.sleep(0.2)


def test_the_replica_serves_each_publication_whole_and_rides_out_a_crash(replicated, dag_runner, tmp_path):
    client = replicated.test_client()
    assert client.get("/selection_criteria").json["code"] == "not_published"
    publish(dag_runner, tmp_path, "2018-09-15", PUBLISHED_ROWS)
    first = until_served(client, "2018-09-15")
    ready = client.get("/ready").json
    assert ready["database_role"] == "replica" and ready["replayed_through"]

    # Readers of the replica during the next publication see one whole snapshot or the other, never a part.
    seen, done = [], threading.Event()

    def read() -> None:
        reader = replicated.test_client()
        while not done.is_set():
            seen.append(reader.get("/selection_criteria").json)

    thread = threading.Thread(target=read)
    thread.start()
    try:
        publish(dag_runner, tmp_path, "2018-09-16", PUBLISHED_ROWS * 3)
        second = until_served(client, "2018-09-16")
    finally:
        done.set()
        thread.join()
    assert second["as_of"] == "2018-09-16" and second != first
    assert client.get("/selection_criteria?as_of=2018-09-15").json == first
    assert seen and all(answer in (first, second) for answer in seen)

    # The replica crashes: the API, which asks it before every answer here, says so in JSON, and serves the same
    # answer once it is back.
    server.stop(server.replica_dir(), mode="immediate")
    down = client.get("/selection_criteria")
    assert down.status_code == 503 and down.json["code"] == "database_unavailable"
    assert client.get("/ready").status_code == 503
    server.start_replica()
    assert until_served(client, "2018-09-16") == second
