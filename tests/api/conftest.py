"""API fixtures: a snapshot published by a real DAG run, and the app reading it with the read-only role."""

import os

import pytest

from tests.conftest import reset_warehouse
from tests.factories import event, write_voucher_csv
from warehouse.generate.telecom import file_name
from warehouse.telecom import HEADER

EIGHT = 1488355200000  # 2017-03-01 08:00:00 UTC
FIVE = 300_000
# 08:00: services 1 > 2 > 3 > 4 by bytes, cells 10 (3 users) > 20 (2) > 30 (1). 08:05: service 2, cell 20.
FLOWS = {
    EIGHT: [
        (1, 300, 0, 1, 10),
        (2, 200, 0, 2, 10),
        (3, 100, 0, 3, 10),
        (4, 50, 0, 4, 20),
        (5, 10, 0, 1, 20),
        (6, 1, 0, 1, 30),
    ],
    EIGHT + FIVE: [(1, 500, 0, 2, 20), (7, 1, 0, 2, 20)],
}

# Peru: 2640 wins every segment it appears in, 4400 is the runner-up. Chile only has a 1-4 customer.
PUBLISHED_ROWS = (
    [event(voucher_amount="2640.0", timestamp=f"2018-08-0{day} 10:00:00") for day in range(1, 4)]
    + [event(voucher_amount="4400.0", timestamp=f"2018-08-1{day} 10:00:00") for day in range(1, 3)]
    + [event(country_code="Chile", total_orders="2.0", voucher_amount="1760.0")]
)


@pytest.fixture(scope="session")
def published(warehouse_url, dag_runner, tmp_path_factory):
    """Publish, once for every API test, the 2018-09-15 voucher snapshot and the KPIs of two intervals."""
    reset_warehouse(warehouse_url)
    folder = tmp_path_factory.mktemp("api")
    source = write_voucher_csv(folder / "vouchers.csv", PUBLISHED_ROWS)
    dag_runner("voucher_selection", conf={"as_of": "2018-09-15", "source": str(source)})
    for start, flows in FLOWS.items():
        lines = [",".join(map(str, (start, start + FIVE, *flow))) for flow in flows]
        (folder / file_name(start, 1)).write_text("\n".join([HEADER, *lines]))
    os.environ["TELECOM_LANDING_DIR"] = str(folder)
    try:
        dag_runner("telecom_kpis")
    finally:
        del os.environ["TELECOM_LANDING_DIR"]


@pytest.fixture
def app(published, reader_url):
    from api_endpoint import create_app

    return create_app({"TESTING": True, "DATABASE_URL": reader_url})


@pytest.fixture
def client(app):
    return app.test_client()
