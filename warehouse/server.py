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
        "pipeline_password": secrets.token_urlsafe(24),
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


def is_running(data: Path | None = None) -> bool:
    """Say whether the server of a data folder (the primary's by default) is running."""
    data = data or data_dir()
    if not (data / "PG_VERSION").exists():
        return False
    account = _service_account()
    if account is not None:
        # Something may have closed a parent folder since (pytest resets its temporary root to 0700).
        _grant_traversal(pg_dir())
    result = _run(
        [str(bin_dir() / "pg_ctl"), "status", "--pgdata", str(data)], account, check=False, capture_output=True
    )
    if result.returncode == 4:
        raise RuntimeError(f"cannot tell whether the server runs: {result.stderr.decode(errors='replace').strip()}")
    return result.returncode == 0


def start() -> None:
    """Start the server on 127.0.0.1 and wait until it accepts connections."""
    initialise()
    port = config.WAREHOUSE_PORT.value()
    if not is_running():
        _launch(data_dir(), port, log_file())
    _wait_until_ready(port, log_file())
    _create_databases()


def _port_taken(port: int) -> bool:
    import socket

    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _launch(data: Path, port: int, log: Path) -> None:
    if _port_taken(port):
        raise RuntimeError(
            f"port {port} is taken by another process (another checkout's embedded server?): "
            "stop it, or choose another port in the configuration (./quickstart config)"
        )
    _run(
        [
            str(bin_dir() / "pg_ctl"),
            "start",
            "--pgdata",
            str(data),
            "--log",
            str(log),
            "--options",
            f"-p {port}",
            "--wait",
            "--timeout",
            "60",
        ],
        _service_account(),
        stdout=subprocess.DEVNULL,
    )


def _wait_until_ready(port: int, log: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        ready = subprocess.run(
            [str(bin_dir() / "pg_isready"), "-h", "127.0.0.1", "-p", str(port)],
            capture_output=True,
            check=False,
        )
        if ready.returncode == 0:
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"PostgreSQL did not become ready; see {log}")
        time.sleep(0.2)


def _create_databases() -> None:
    """Create the warehouse database (Airflow's is created by bootstrap, owned by the pipeline's role)."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(config.embedded_url("postgres", config.ADMIN_ROLE), autocommit=True) as connection:
        database = config.WAREHOUSE_DATABASE
        if connection.execute("select 1 from pg_database where datname = %s", (database,)).fetchone() is None:
            connection.execute(sql.SQL("create database {}").format(sql.Identifier(database)))


def stop(data: Path | None = None, mode: str = "fast") -> None:
    """Stop the server of a data folder (the primary's by default), if it runs; `immediate` is a crash."""
    data = data or data_dir()
    if not is_running(data):
        return
    _run(
        [str(bin_dir() / "pg_ctl"), "stop", "--pgdata", str(data), "--mode", mode, "--wait"],
        _service_account(),
        stdout=subprocess.DEVNULL,
    )


# --- the streaming replica -------------------------------------------------------------------------------------

REPLICATION_ROLE = "warehouse_replicator"
REPLICATION_SLOT = "warehouse_replica"


def replica_dir() -> Path:
    return pg_dir() / "replica"


def replica_log_file() -> Path:
    return pg_dir() / "replica.log"


def start_replica() -> None:
    """Start a hot standby of the running primary on WAREHOUSE_REPLICA_PORT, copying the primary the first time.

    The standby streams the primary's WAL through a replication slot of its own, so it never falls so far behind
    that it needs WAL the primary has removed; the primary caps what the slot keeps (max_slot_wal_keep_size), so
    a replica that is gone for good cannot fill its disk. The standby reports its oldest query back to the primary
    (hot_standby_feedback), so the primary's vacuum does not cancel the API's reads.
    """
    if not is_running():
        raise RuntimeError("the primary is not running: start it first (python -m warehouse.server start)")
    if not (replica_dir() / "standby.signal").exists():
        _copy_primary()
    port = config.WAREHOUSE_REPLICA_PORT.value()
    if not is_running(replica_dir()):
        _launch(replica_dir(), port, replica_log_file())
    _wait_until_ready(port, replica_log_file())


def _copy_primary() -> None:
    import psycopg
    from psycopg import sql

    password = secrets.token_urlsafe(24)
    with psycopg.connect(config.embedded_url("postgres", config.ADMIN_ROLE), autocommit=True) as connection:
        known = connection.execute("select 1 from pg_roles where rolname = %s", (REPLICATION_ROLE,)).fetchone()
        connection.execute(
            sql.SQL("{} role {} with login replication password {}").format(
                sql.SQL("alter" if known else "create"), sql.Identifier(REPLICATION_ROLE), sql.Literal(password)
            )
        )
        connection.execute("alter system set max_slot_wal_keep_size = '8GB'")
        connection.execute("select pg_reload_conf()")
        # A slot left by an earlier replica would pin WAL nobody reads; the new copy makes its own.
        connection.execute(
            "select pg_drop_replication_slot(slot_name) from pg_replication_slots where slot_name = %s",
            (REPLICATION_SLOT,),
        )
    shutil.rmtree(replica_dir(), ignore_errors=True)
    conninfo = (
        f"host=127.0.0.1 port={config.WAREHOUSE_PORT.value()} user={REPLICATION_ROLE} password={password} "
        "application_name=warehouse_replica"
    )
    try:
        _run(
            [
                str(bin_dir() / "pg_basebackup"),
                "--pgdata",
                str(replica_dir()),
                "--dbname",
                conninfo,
                "--wal-method",
                "stream",
                "--write-recovery-conf",
                "--create-slot",
                "--slot",
                REPLICATION_SLOT,
                "--checkpoint",
                "fast",
            ],
            _service_account(),
            capture_output=True,
        )
    except subprocess.CalledProcessError as error:
        shutil.rmtree(replica_dir(), ignore_errors=True)
        raise RuntimeError(f"pg_basebackup failed: {error.stderr.decode(errors='replace').strip()}") from error
    with open(replica_dir() / "postgresql.conf", "a") as conf:
        conf.write("\n# Set for the warehouse's streaming replica.\nhot_standby = on\nhot_standby_feedback = on\n")


def stop_replica() -> None:
    stop(replica_dir())


def replica_status() -> str:
    """Describe the replica: down, or up with how far its replay is behind the primary's WAL."""
    if not is_running(replica_dir()):
        return "down"
    import psycopg

    port = config.WAREHOUSE_REPLICA_PORT.value()
    try:
        with psycopg.connect(config.embedded_url("postgres", config.ADMIN_ROLE), connect_timeout=5) as connection:
            lag = connection.execute(
                "select pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn) from pg_stat_replication "
                "where application_name = 'warehouse_replica'"
            ).fetchone()
    except psycopg.OperationalError:
        return f"up on 127.0.0.1:{port} (the primary does not answer)"
    if lag is None:
        return f"up on 127.0.0.1:{port}, not streaming (see {replica_log_file()})"
    return f"up on 127.0.0.1:{port}, streaming, {int(lag[0] or 0):,} bytes of WAL behind"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m warehouse.server", description=__doc__)
    parser.add_argument("command", choices=["start", "stop", "status", "url"])
    parser.add_argument("--database", default=config.WAREHOUSE_DATABASE)
    parser.add_argument(
        "--role",
        choices=[config.PIPELINE_ROLE, config.ADMIN_ROLE, config.READER_ROLE],
        default=config.PIPELINE_ROLE,
        help="the role `url` logs in as: the pipelines' (default), the superuser's, or the API's reader",
    )
    parser.add_argument(
        "--replica", action="store_true", help="act on the streaming replica (WAREHOUSE_REPLICA_PORT) instead"
    )
    args = parser.parse_args(argv)
    port = config.WAREHOUSE_REPLICA_PORT.value() if args.replica else config.WAREHOUSE_PORT.value()
    name = "embedded PostgreSQL replica" if args.replica else "embedded PostgreSQL"
    if args.command == "start":
        try:
            start_replica() if args.replica else start()
        except RuntimeError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        print(f"{name} is up on 127.0.0.1:{port} (data in {replica_dir() if args.replica else data_dir()})")
    elif args.command == "stop":
        stop_replica() if args.replica else stop()
    elif args.command == "status":
        if args.replica:
            described = replica_status()
            print(f"{name}: {described}")
            return 0 if described != "down" else 3
        running = is_running()
        print(f"{name}: {f'up on 127.0.0.1:{port}' if running else 'down'}")
        return 0 if running else 3
    elif args.command == "url":
        print(config.with_port(config.embedded_url(args.database, args.role), port))
    return 0


if __name__ == "__main__":
    sys.exit(main())
