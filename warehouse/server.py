"""Run the embedded PostgreSQL server under the project's state folder.

The server binaries come from the `pgserver` wheel, so a machine needs nothing but Python. PostgreSQL refuses
to run as root, so when started by root the server runs as an unprivileged system user instead.
"""

import argparse
import importlib.util
import json
import os
import pwd
import secrets
import shutil
import subprocess
import sys
import time
from pathlib import Path

from warehouse import config

SERVICE_USER = "warehouse"


def pg_dir() -> Path:
    return config.state_dir() / "pg"


def data_dir() -> Path:
    return pg_dir() / "data"


def log_file() -> Path:
    return pg_dir() / "postgres.log"


def bin_dir() -> Path:
    """Find PostgreSQL's server binaries: the pgserver wheel first, then a system install."""
    spec = importlib.util.find_spec("pgserver")
    if spec and spec.submodule_search_locations:
        bundled = Path(spec.submodule_search_locations[0]) / "pginstall" / "bin"
        if (bundled / "postgres").exists():
            return bundled
    system = sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"))
    if system:
        return system[-1].parent
    on_path = shutil.which("pg_ctl")
    if on_path:
        return Path(on_path).parent
    raise RuntimeError("no PostgreSQL server binaries found: install the project (pip install -e .)")


def _service_account() -> pwd.struct_passwd | None:
    """Return the account the server runs as, or None to run as the current user."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(SERVICE_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SERVICE_USER],
            check=True,
        )
        return pwd.getpwnam(SERVICE_USER)


def _grant_traversal(path: Path) -> None:
    # The service user must reach the data folder and the binaries through every parent folder.
    for parent in [path, *path.parents]:
        mode = parent.stat().st_mode
        if not mode & 0o001:
            parent.chmod(mode | 0o001)


def _run(args: list[str], account: pwd.struct_passwd | None, check=True, **kwargs):
    if account is not None:
        kwargs.update(user=account.pw_uid, group=account.pw_gid, extra_groups=[])
    return subprocess.run(args, check=check, **kwargs)


def is_initialised() -> bool:
    return (data_dir() / "PG_VERSION").exists() and config.credentials_file().exists()


def initialise() -> None:
    """Create the data folder, the superuser and the generated credentials, once."""
    if is_initialised():
        return
    account = _service_account()
    if data_dir().exists():
        shutil.rmtree(data_dir())
    pg_dir().mkdir(parents=True, exist_ok=True)
    credentials = {
        "admin_password": secrets.token_urlsafe(24),
        "reader_password": secrets.token_urlsafe(24),
    }
    password_file = pg_dir() / "initdb.pw"
    password_file.write_text(credentials["admin_password"])
    password_file.chmod(0o600)
    if account is not None:
        for path in (pg_dir(), password_file):
            os.chown(path, account.pw_uid, account.pw_gid)
        _grant_traversal(pg_dir())
        _grant_traversal(bin_dir())
    try:
        _run(
            [
                str(bin_dir() / "initdb"),
                "--pgdata",
                str(data_dir()),
                "--username",
                config.ADMIN_ROLE,
                "--pwfile",
                str(password_file),
                "--auth",
                "scram-sha-256",
                "--encoding",
                "UTF8",
                "--no-locale",
            ],
            account,
            stdout=subprocess.DEVNULL,
        )
    finally:
        password_file.unlink(missing_ok=True)
    with open(data_dir() / "postgresql.conf", "a") as conf:
        conf.write(
            "\n# Set by the warehouse's embedded server.\n"
            "timezone = 'UTC'\n"
            "log_timezone = 'UTC'\n"
            "listen_addresses = '127.0.0.1'\n"
            "unix_socket_directories = ''\n"
            "max_connections = 200\n"
            "shared_buffers = 256MB\n"
            "work_mem = 64MB\n"
            "maintenance_work_mem = 256MB\n"
            "max_wal_size = 4GB\n"
            "synchronous_commit = off\n"
        )
    config.state_dir().mkdir(parents=True, exist_ok=True)
    config.credentials_file().write_text(json.dumps(credentials))
    config.credentials_file().chmod(0o600)


def is_running() -> bool:
    if not (data_dir() / "PG_VERSION").exists():
        return False
    result = _run(
        [str(bin_dir() / "pg_ctl"), "status", "--pgdata", str(data_dir())],
        _service_account(),
        check=False,
        capture_output=True,
    )
    return result.returncode == 0


def start() -> None:
    """Start the server on 127.0.0.1 and wait until it accepts connections."""
    initialise()
    if not is_running():
        _launch()
    _wait_until_ready()
    _create_databases()


def _port_taken(port: int) -> bool:
    import socket

    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _launch() -> None:
    port = config.WAREHOUSE_PORT.value()
    if _port_taken(port):
        raise RuntimeError(
            f"port {port} is taken by another process (another checkout's embedded server?): "
            "stop it, or choose another port with WAREHOUSE_PORT"
        )
    account = _service_account()
    _run(
        [
            str(bin_dir() / "pg_ctl"),
            "start",
            "--pgdata",
            str(data_dir()),
            "--log",
            str(log_file()),
            "--options",
            f"-p {config.WAREHOUSE_PORT.value()}",
            "--wait",
            "--timeout",
            "60",
        ],
        account,
        stdout=subprocess.DEVNULL,
    )


def _wait_until_ready(timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        ready = subprocess.run(
            [str(bin_dir() / "pg_isready"), "-h", "127.0.0.1", "-p", str(config.WAREHOUSE_PORT.value())],
            capture_output=True,
            check=False,
        )
        if ready.returncode == 0:
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"PostgreSQL did not become ready; see {log_file()}")
        time.sleep(0.2)


def _create_databases() -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(config.embedded_url("postgres"), autocommit=True) as connection:
        for database in (config.WAREHOUSE_DATABASE, config.AIRFLOW_DATABASE):
            if connection.execute("select 1 from pg_database where datname = %s", (database,)).fetchone() is None:
                connection.execute(sql.SQL("create database {}").format(sql.Identifier(database)))


def stop() -> None:
    if not is_running():
        return
    _run(
        [str(bin_dir() / "pg_ctl"), "stop", "--pgdata", str(data_dir()), "--mode", "fast", "--wait"],
        _service_account(),
        stdout=subprocess.DEVNULL,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m warehouse.server", description=__doc__)
    parser.add_argument("command", choices=["start", "stop", "status", "url"])
    parser.add_argument("--database", default=config.WAREHOUSE_DATABASE)
    args = parser.parse_args(argv)
    if args.command == "start":
        try:
            start()
        except RuntimeError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        print(f"embedded PostgreSQL is up on 127.0.0.1:{config.WAREHOUSE_PORT.value()} (data in {data_dir()})")
    elif args.command == "stop":
        stop()
    elif args.command == "status":
        running = is_running()
        print(f"embedded PostgreSQL: {f'up on 127.0.0.1:{config.WAREHOUSE_PORT.value()}' if running else 'down'}")
        return 0 if running else 3
    elif args.command == "url":
        print(config.embedded_url(args.database))
    return 0


if __name__ == "__main__":
    sys.exit(main())
