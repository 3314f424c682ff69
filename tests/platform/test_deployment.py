"""The ways to run the stack: docker-compose.yml is valid, and ./quickstart brings everything up and down."""

import json
import os
import shutil
import socket
import stat
import subprocess
import urllib.parse
import urllib.request

import pytest

from warehouse.config import PROJECT_ROOT


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_docker_compose_file_is_valid(tmp_path):
    tool = shutil.which("docker-compose")
    if tool is None:
        pytest.skip("docker-compose is not installed (Debian package docker-compose provides it)")
    env = {
        **os.environ,
        "POSTGRES_PASSWORD": "x",
        "WAREHOUSE_READER_PASSWORD": "y",
        "AIRFLOW_JWT_SECRET": "z",
        "AIRFLOW_API_SECRET_KEY": "w",
    }
    result = subprocess.run(
        [tool, "--file", str(PROJECT_ROOT / "docker-compose.yml"), "config"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    services = set(
        subprocess.run(
            [tool, "--file", str(PROJECT_ROOT / "docker-compose.yml"), "config", "--services"],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        ).stdout.split()
    )
    assert services == {
        "postgres",
        "airflow-init",
        "airflow-api-server",
        "airflow-scheduler",
        "airflow-dag-processor",
        "airflow-triggerer",
        "api",
    }


def test_docker_compose_requires_credentials():
    tool = shutil.which("docker-compose")
    if tool is None:
        pytest.skip("docker-compose is not installed (Debian package docker-compose provides it)")
    env = {k: v for k, v in os.environ.items() if k not in ("POSTGRES_PASSWORD", "AIRFLOW_JWT_SECRET")}
    result = subprocess.run(
        [tool, "--file", str(PROJECT_ROOT / "docker-compose.yml"), "config"],
        capture_output=True,
        text=True,
        env=env,
        cwd=PROJECT_ROOT / "tests",
    )
    assert result.returncode != 0
    assert "POSTGRES_PASSWORD" in result.stderr


@pytest.mark.slow
def test_quickstart_runs_serves_and_stops(tmp_path):
    """The README's first command, on its own embedded server, state folder and ports."""
    api_port, airflow_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "WAREHOUSE", "API_"))}
    env.update(
        WAREHOUSE_STATE_DIR=str(tmp_path / "state"),
        WAREHOUSE_PORT=str(free_port()),
        API_PORT=str(api_port),
        AIRFLOW_PORT=str(airflow_port),
    )
    quickstart = str(PROJECT_ROOT / "quickstart")
    try:
        run = subprocess.run([quickstart, "run", "-d"], env=env, capture_output=True, text=True, timeout=900)
        assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
        assert f"http://localhost:{airflow_port}" in run.stdout
        assert "login: admin / " in run.stdout

        question = json.dumps(
            {
                "country_code": "Peru",
                "last_order_ts": "2018-05-03 00:00:00",
                "first_order_ts": "2017-05-03 00:00:00",
                "total_orders": 15,
                "segment_name": "recency_segment",
            }
        ).encode()
        request = urllib.request.Request(
            f"http://127.0.0.1:{api_port}/voucher",
            data=question,
            headers={"Content-Type": "application/json"},
        )
        answer = json.load(urllib.request.urlopen(request, timeout=10))
        assert answer["as_of"] == "2018-09-15"
        assert answer["segment_name"] == "121-180"

        kpis = json.load(urllib.request.urlopen(f"http://127.0.0.1:{api_port}/kpi1?interval=1-hour", timeout=10))
        assert kpis and len(kpis) <= 3 * 24

        # The generated casino was published: its sidecar's adtributor questions name their causes.
        sidecar = json.loads((tmp_path / "state" / "samples" / "asset_metrics.causes.json").read_text())
        asked = next(q for cause in sidecar["causes"] for q in cause["questions"] if q["params"].get("algorithm"))
        query = urllib.parse.urlencode(asked["params"])
        attribution = json.load(urllib.request.urlopen(f"http://127.0.0.1:{api_port}{asked['endpoint']}?{query}"))
        assert {key: attribution["ranks"][0][key] for key in asked["expect"]} == asked["expect"]

        passwords = tmp_path / "state" / "airflow" / "simple_auth_manager_passwords.json.generated"
        assert stat.S_IMODE(passwords.stat().st_mode) == 0o600

        status = subprocess.run([quickstart, "status"], env=env, capture_output=True, text=True)
        assert "api: up" in status.stdout and "API: ready" in status.stdout

        again = subprocess.run([quickstart, "run", "-d"], env=env, capture_output=True, text=True, timeout=900)
        assert again.returncode == 0, again.stdout[-3000:]
        assert "already running" in again.stdout
        assert json.load(urllib.request.urlopen(request, timeout=10)) == answer
    finally:
        stop = subprocess.run([quickstart, "stop"], env=env, capture_output=True, text=True, timeout=300)
    assert stop.returncode == 0
    status = subprocess.run([quickstart, "status"], env=env, capture_output=True, text=True)
    assert "api: down" in status.stdout and "embedded PostgreSQL: down" in status.stdout
