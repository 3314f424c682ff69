"""What the attribution API tests read: a generated casino with 20 injected causes (tests/conftest.py publishes
it, and the `casino` fixture hands its sidecar to the tests)."""

from pathlib import Path

from warehouse.domains.attribution.sample import write_asset_metrics

CASINO = {"assets": 540, "days": 260, "causes": 20}


def publish(dag_runner, folder: Path):
    """Generate 540 machines over 260 days, publish them, and return the written sample (file and sidecar)."""
    casino = write_asset_metrics(folder / "asset_metrics.csv", **CASINO)
    dag_runner("asset_metrics", conf={"source": str(casino.data_path)})
    return casino
