"""What the voucher API tests read: the 2018-09-15 snapshot of a few crafted events (tests/conftest.py publishes it)."""

from pathlib import Path

from tests.vouchers.factories import event, write_voucher_csv

# Peru: 2640 wins every segment it appears in, 4400 is the runner-up. Chile only has a 1-4 customer.
PUBLISHED_ROWS = (
    [event(voucher_amount="2640.0", timestamp=f"2018-08-0{day} 10:00:00") for day in range(1, 4)]
    + [event(voucher_amount="4400.0", timestamp=f"2018-08-1{day} 10:00:00") for day in range(1, 3)]
    + [event(country_code="Chile", total_orders="2.0", voucher_amount="1760.0")]
)


def publish(dag_runner, folder: Path) -> Path:
    source = write_voucher_csv(folder / "vouchers.csv", PUBLISHED_ROWS)
    dag_runner("voucher_selection", conf={"as_of": "2018-09-15", "source": str(source)})
    return source
