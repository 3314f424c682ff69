"""The ways to run the stack: docker-compose.yml is valid, and ./quickstart brings everything up and down."""

import datetime as dt
import json
import math
import os
import re
import shutil
import socket
import stat
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import psycopg
import pytest
import yaml

from tests.conftest import SHARED_DATA, free_port
from warehouse import registry
from warehouse.cli import trigger_and_wait
from warehouse.config import PROJECT_ROOT


def test_docker_compose_file_is_valid(tmp_path):
    tool = shutil.which("docker-compose")
    if tool is None:
        pytest.skip("docker-compose is not installed (Debian package docker-compose provides it)")
    env = {
        **os.environ,
        "POSTGRES_PASSWORD": "x",
        "WAREHOUSE_PIPELINE_PASSWORD": "v",
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
    services = yaml.safe_load(result.stdout)["services"]
    profiles = {name: tuple(service.get("profiles", ())) for name, service in services.items()}
    assert profiles == {
        "postgres": (),
        "airflow-init": (),
        "airflow-api-server": (),
        "airflow-scheduler": (),
        "airflow-dag-processor": (),
        "airflow-triggerer": (),
        "api": (),
        # Celery mode, shaped like Airflow's own compose file: a broker, workers to --scale, Flower on request.
        "redis": ("celery",),
        "airflow-worker": ("celery",),
        "flower": ("flower",),
    }
    # Every Airflow container runs the executor it is told to, with the broker the celery profile starts.
    for name in ("airflow-scheduler", "airflow-worker", "airflow-api-server"):
        environment = services[name]["environment"]
        assert environment["AIRFLOW__CORE__EXECUTOR"] == "LocalExecutor"
        assert environment["AIRFLOW__CELERY__BROKER_URL"] == "redis://redis:6379/0"
    assert services["airflow-worker"]["command"] == ["airflow", "celery", "worker"]
    # Least privilege: only the bootstrap sees the superuser; Airflow and the pipelines log in as the schemas' owner.
    holding_admin = {
        name for name, service in services.items() if "WAREHOUSE_ADMIN_URL" in service.get("environment", {})
    }
    assert holding_admin == {"airflow-init"}
    for name in ("airflow-scheduler", "airflow-worker", "airflow-init"):
        environment = services[name]["environment"]
        for url in ("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "AIRFLOW_CONN_WAREHOUSE", "WAREHOUSE_URL"):
            assert "://warehouse_pipeline:v@" in environment[url], (name, url)
    # Airflow's containers run as AIRFLOW_UID (airflow-init as root, to hand the volumes over), keep the login
    # in the state volume, and read the DAGs, models and platform from the checkout.
    for name in ("airflow-scheduler", "airflow-api-server", "airflow-dag-processor", "airflow-worker"):
        service = services[name]
        assert service["user"] == "50000:0", name
        assert service["environment"]["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"].startswith(
            "/opt/airflow/state/"
        )
        mounted = {volume.split(":")[1] for volume in service["volumes"]}
        assert {"/opt/warehouse/dags", "/opt/warehouse/sql", "/opt/warehouse/warehouse"} <= mounted, name
    assert services["airflow-init"]["user"] == "0:0"
    assert 'chown -R "50000:0" /opt/airflow/state /opt/airflow/logs' in services["airflow-init"]["command"][-1]
    # Compose cannot read the registry: every domain's source setting must reach the Airflow containers.
    sources = {setting.name for domain in registry.domains() for setting in domain.sources}
    assert sources <= set(services["airflow-scheduler"]["environment"])


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


def airflow_health(env: dict) -> dict:
    """The API server's health report of each Airflow component ({} while it does not answer)."""
    url = f"http://127.0.0.1:{env['AIRFLOW_PORT']}/api/v2/monitor/health"
    try:
        return json.load(urllib.request.urlopen(url, timeout=5))
    except OSError:
        return {}


def back_within(seconds: float, env: dict, since: dt.datetime) -> tuple[bool, str]:
    """Wait until every supervised service runs and every Airflow component has beaten since `since`."""
    deadline = time.monotonic() + seconds
    while True:
        health = airflow_health(env)
        beats = {name: part.get(f"latest_{name}_heartbeat") for name, part in health.items() if name != "metadatabase"}
        fresh = len(beats) == 3 and all(beat and dt.datetime.fromisoformat(beat) > since for beat in beats.values())
        status = quickstart("status", env=env, check=False).stdout
        services = [line for line in status.splitlines() if line.startswith(("airflow-", "api:"))]
        if fresh and services and all(": up (" in line for line in services):
            return True, status
        if time.monotonic() > deadline:
            return False, f"{health}\n{status}"
        time.sleep(1)


def next_scheduled_run(dag_id: str, since: dt.datetime, env: dict, timeout: float) -> dict | None:
    """Wait for the first scheduled run of `dag_id` that started after `since` to end; return it (or None)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        listing = quickstart("airflow", "dags", "list-runs", dag_id, "-o", "json", env=env, check=False).stdout
        runs = json.loads(next((line for line in listing.splitlines() if line.startswith("[")), "[]"))
        later = [
            run
            for run in runs
            if run["run_id"].startswith("scheduled__")
            and run.get("start_date")
            and dt.datetime.fromisoformat(run["start_date"]) > since
        ]
        ended = [run for run in later if run["state"] in ("success", "failed")]
        if ended:
            return min(ended, key=lambda run: run["start_date"])
        time.sleep(10)
    return None


def process_tree(pids: list[int]) -> set[int]:
    """The processes and all their descendants."""
    found, todo = set(), list(pids)
    while todo:
        pid = todo.pop()
        found.add(pid)
        for task in Path(f"/proc/{pid}/task").glob("*/children"):
            todo += [int(child) for child in task.read_text().split()]
    return found


def listening_sockets(pids: set[int]) -> set[tuple[str, int]]:
    """The (address, port) of every TCP socket these processes listen on, read from /proc."""
    inodes = set()
    for pid in pids:
        for fd in Path(f"/proc/{pid}/fd").glob("*"):
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    listening = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and fields[9] in inodes:  # 0A: LISTEN
                address, port = fields[1].split(":")
                packed = bytes.fromhex(address)
                # /proc prints each 32-bit word of the address in host (little-endian) order.
                words = b"".join(packed[i : i + 4][::-1] for i in range(0, len(packed), 4))
                host = socket.inet_ntop(socket.AF_INET if len(words) == 4 else socket.AF_INET6, words)
                listening.add((host, int(port, 16)))
    return listening


def stack_env(state: Path, **settings: str) -> dict[str, str]:
    """The environment of a stack of the test's own: its state folder, free ports, the real data when present."""
    own = ("AIRFLOW", "WAREHOUSE", "API_", "CELERY", "FLOWER", "VOUCHER_", "TELECOM_", "ASSET_METRICS_")
    env = {name: value for name, value in os.environ.items() if not name.startswith(own)}
    env.update(WAREHOUSE_STATE_DIR=str(state), **settings)
    ports = ("WAREHOUSE_PORT", "WAREHOUSE_REPLICA_PORT", "API_PORT", "AIRFLOW_PORT", "AIRFLOW_HEALTH_PORT")
    for port in (*ports, "CELERY_BROKER_PORT"):
        env[port] = str(free_port())
    if (SHARED_DATA / "voucher" / "data.parquet.gzip").exists():
        env.update(VOUCHER_SOURCE=str(SHARED_DATA / "voucher" / "data.parquet.gzip"))
    if (SHARED_DATA / "telecom").is_dir():
        env.update(TELECOM_LANDING_DIR=str(SHARED_DATA / "telecom"))
    return env


def quickstart(*args: str, env: dict, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [str(PROJECT_ROOT / "quickstart"), *args], env=env, capture_output=True, text=True, timeout=900
    )
    assert done.returncode == 0 or not check, done.stdout[-3000:] + done.stderr[-3000:]
    return done


@pytest.mark.slow
def test_quickstart_runs_serves_and_stops(tmp_path):
    """The README's first command, on its own embedded server, state folder and ports."""
    env = stack_env(tmp_path / "state", VOUCHER_AS_OF="2018-09-15")
    api_port, airflow_port = env["API_PORT"], env["AIRFLOW_PORT"]
    try:
        run = quickstart("run", "-d", env=env)
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

        status = quickstart("status", env=env)
        assert "api: up" in status.stdout and "API: ready" in status.stdout
        assert "login: admin / " in status.stdout and f"http://localhost:{api_port}/search_voucher" in status.stdout
        assert "last voucher_selection run: success" in status.stdout

        # The CLI names what it does not know, and passes Airflow's commands through without other tools' noise.
        bogus = quickstart("bogus", env=env, check=False)
        assert bogus.returncode != 0 and "unknown command 'bogus'" in bogus.stderr
        listed = quickstart("airflow", "dags", "list", env=env)
        assert {"asset_metrics", "telecom_kpis", "voucher_selection"} <= set(listed.stdout.split())
        assert "warning" not in (listed.stdout + listed.stderr).lower(), listed.stdout + listed.stderr

        # The voucher DAG published the snapshot of its as_of and stays paused: at midnight it would otherwise
        # publish today's snapshot from the same file, which would become the default answer.
        assert "voucher_selection stays paused" in run.stdout
        with psycopg.connect(airflow_database(env)) as connection:
            paused = dict(connection.execute("select dag_id, is_paused from dag").fetchall())
        assert paused == {"voucher_selection": True, "telecom_kpis": False, "asset_metrics": False}

        # Every process of the stack listens on 127.0.0.1 only, on the ports this stack was given.
        pids = [int(pid) for pid in re.findall(r": up \(pid (\d+),", status.stdout)]
        listening = listening_sockets(process_tree(pids))
        assert listening and {host for host, _ in listening} == {"127.0.0.1"}, listening
        ports = {int(env[name]) for name in ("API_PORT", "AIRFLOW_PORT", "AIRFLOW_HEALTH_PORT", "WAREHOUSE_PORT")}
        assert {port for _, port in listening} <= ports, listening

        # Run again without the sources: it reuses those of the last run and says so, so the real file's
        # snapshot is not replaced by the generated sample.
        started_with = {name: env[name] for name in ("VOUCHER_SOURCE", "VOUCHER_AS_OF") if name in env}
        unset = {name: value for name, value in env.items() if name not in started_with}
        again = quickstart("run", "-d", env=unset)
        assert "already running" in again.stdout
        for name, value in started_with.items():
            assert f"reusing {name}={value} from the last run" in again.stdout
        assert json.load(urllib.request.urlopen(request, timeout=10)) == answer
        DEFAULT_STACK_ANSWERS.update(api_answers(env))

        # The database goes away for 10 s. supervisord restarts every Airflow component that exits, they are
        # all healthy again within 30 s of its return, and the next run succeeds with no other step.
        server = [sys.executable, "-m", "warehouse.server"]
        subprocess.run([*server, "stop"], env=env, check=True)
        # Meanwhile the API is alive, and says why it is not ready.
        status = quickstart("status", env=env).stdout
        assert f"API: alive on :{api_port}, not ready: database_unavailable" in status, status
        time.sleep(10)
        subprocess.run([*server, "start"], env=env, check=True, capture_output=True)
        returned = dt.datetime.now(dt.UTC)
        back, report = back_within(30, env, since=returned)
        assert back, report
        after = trigger_and_wait("asset_metrics", {}, lambda *args: quickstart("airflow", *args, env=env, check=False))
        assert after.state == "success"
        # And the schedule goes on by itself: telecom_kpis runs every five minutes, and its next scheduled run
        # after the database's return succeeds.
        scheduled = next_scheduled_run("telecom_kpis", returned, env, timeout=480)
        assert scheduled and scheduled["state"] == "success", scheduled

        # A first run that fails leaves the API serving what was published before, and says where to look.
        quickstart("stop", env=env)
        broken = {**env, "VOUCHER_SOURCE": str(tmp_path / "missing.parquet")}
        rerun = quickstart("run", "-d", env=broken, check=False)
        assert rerun.returncode == 1, rerun.stdout[-2000:] + rerun.stderr[-2000:]
        assert "error: voucher_selection run quickstart__" in rerun.stderr
        assert "task_id=load_voucher_file/attempt=1.log" in rerun.stderr
        assert json.load(urllib.request.urlopen(request, timeout=10)) == answer
        status = quickstart("status", env=env).stdout
        assert "last voucher_selection run: failed" in status and "last asset_metrics run: success" in status
    finally:
        quickstart("stop", env=env)
    status = quickstart("status", env=env, check=False)
    assert "api: down" in status.stdout and "embedded PostgreSQL: down" in status.stdout


# What the default stack answered, kept by the first test that runs one, so the next compares without a rerun.
DEFAULT_STACK_ANSWERS: dict = {}


def default_stack_answers(state: Path) -> dict:
    if not DEFAULT_STACK_ANSWERS:
        env = stack_env(state)
        try:
            quickstart("run", "-d", env=env)
            DEFAULT_STACK_ANSWERS.update(api_answers(env))
        finally:
            quickstart("stop", env=env)
    return DEFAULT_STACK_ANSWERS


def api_answers(env: dict) -> dict:
    """Every answer a stack gives about what its pipelines published: the criteria, the KPIs, the casino's causes."""
    api = f"http://127.0.0.1:{env['API_PORT']}"

    def get(path: str):
        return json.load(urllib.request.urlopen(f"{api}{path}", timeout=30))

    answers = {"/selection_criteria": get("/selection_criteria")}
    for kpi in ("/kpi1", "/kpi2"):
        for interval in ("5-minute", "1-hour"):
            answers[f"{kpi}?interval={interval}"] = get(f"{kpi}?interval={interval}&limit=1000")
    sidecar = json.loads((Path(env["WAREHOUSE_STATE_DIR"]) / "samples" / "asset_metrics.causes.json").read_text())
    for cause in sidecar["causes"]:
        for question in cause["questions"]:
            path = f"{question['endpoint']}?{urllib.parse.urlencode(question['params'])}"
            answers[path] = get(path)
    ready = get("/ready")
    answers["/ready"] = {name: value for name, value in ready.items() if name.startswith("latest_")}
    return answers


def same_answers(got, expected) -> bool:
    """Equal answers, floats to 1e-9 relative: a casino's sums are float sums, whose last bits depend on the order
    in which two servers happen to add the same rows."""
    if isinstance(got, dict) and isinstance(expected, dict):
        return got.keys() == expected.keys() and all(same_answers(got[key], expected[key]) for key in got)
    if isinstance(got, list) and isinstance(expected, list):
        return len(got) == len(expected) and all(map(same_answers, got, expected))
    if isinstance(got, float) and isinstance(expected, float):
        return math.isclose(got, expected, rel_tol=1e-9, abs_tol=1e-9)
    assert got == expected, f"{got!r} != {expected!r}"
    return True


@pytest.mark.slow
def test_celery_workers_and_a_replica_answer_as_the_local_executor_does(tmp_path):
    """AIRFLOW_EXECUTOR=celery with two workers and WAREHOUSE_REPLICA=1, beside the default stack on the same data."""
    expected = default_stack_answers(tmp_path / "local")

    scaled = stack_env(tmp_path / "scaled", AIRFLOW_EXECUTOR="celery", AIRFLOW_WORKERS="2", WAREHOUSE_REPLICA="1")
    try:
        run = quickstart("run", "-d", env=scaled)
        assert "starting Airflow (celery executor)" in run.stdout
        assert f"the API reads from the replica on port {scaled['WAREHOUSE_REPLICA_PORT']}" in run.stdout
        status = quickstart("status", env=scaled).stdout
        for service in ("broker", "airflow-worker-1", "airflow-worker-2"):
            assert f"{service}: up" in status
        assert "replica: up" in status and "streaming" in status

        ready = json.load(urllib.request.urlopen(f"http://127.0.0.1:{scaled['API_PORT']}/ready", timeout=10))
        assert ready["database_role"] == "replica"
        assert same_answers(api_answers(scaled), expected)

        # Every task instance of every first run ran on one of the two workers, and both workers took some.
        with psycopg.connect(airflow_database(scaled)) as connection:
            ran = connection.execute(
                "select dag_id, hostname from task_instance where state = 'success' and hostname <> ''"
            ).fetchall()
            failed = connection.execute(
                "select count(*) from task_instance where state not in ('success', 'skipped')"
            ).fetchone()
        assert failed == (0,)
        assert {dag_id for dag_id, _ in ran} == {"voucher_selection", "telecom_kpis", "asset_metrics"}
        assert {hostname.split("@")[0] for _, hostname in ran} == {"worker-1", "worker-2"}
    finally:
        quickstart("stop", env=scaled)
    status = quickstart("status", env=scaled, check=False).stdout
    assert "airflow-worker-1: down" in status and "broker: down" in status


def airflow_database(env: dict) -> str:
    """The URL of a stack's Airflow metadata database, as its own embedded server names it."""
    url = [sys.executable, "-m", "warehouse.server", "url", "--database", "airflow"]
    return subprocess.run(url, env=env, capture_output=True, text=True, check=True).stdout.strip()
