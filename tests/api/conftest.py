"""API fixtures: a snapshot published by a real DAG run, and the app reading it with the read-only role."""

import pytest

from tests.conftest import reset_warehouse
from tests.factories import event, write_voucher_csv

# Peru: 2640 wins every segment it appears in, 4400 is the runner-up. Chile only has a 1-4 customer.
PUBLISHED_ROWS = (
    [event(voucher_amount="2640.0", timestamp=f"2018-08-0{day} 10:00:00") for day in range(1, 4)]
    + [event(voucher_amount="4400.0", timestamp=f"2018-08-1{day} 10:00:00") for day in range(1, 3)]
    + [event(country_code="Chile", total_orders="2.0", voucher_amount="1760.0")]
)


@pytest.fixture(scope="session")
def published(warehouse_url, dag_runner, tmp_path_factory):
    """Publish the 2018-09-15 snapshot once for every API test."""
    reset_warehouse(warehouse_url)
    source = write_voucher_csv(tmp_path_factory.mktemp("api") / "vouchers.csv", PUBLISHED_ROWS)
    dag_runner("voucher_selection", conf={"as_of": "2018-09-15", "source": str(source)})


@pytest.fixture
def app(published, reader_url):
    from api_endpoint import create_app

    return create_app({"TESTING": True, "DATABASE_URL": reader_url})


@pytest.fixture
def client(app):
    return app.test_client()
