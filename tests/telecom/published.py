"""What the KPI API tests read: two 5-minute intervals of crafted flows (tests/conftest.py publishes them)."""

from pathlib import Path

from warehouse.domains.telecom.contract import HEADER, file_name

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


def publish(dag_runner, folder: Path) -> Path:
    for start, flows in FLOWS.items():
        lines = [",".join(map(str, (start, start + FIVE, *flow))) for flow in flows]
        (folder / file_name(start, 1)).write_text("\n".join([HEADER, *lines]))
    dag_runner("telecom_kpis", conf={"landing_dir": str(folder)})
    return folder
