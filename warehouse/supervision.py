"""Keep the native stack's long-running processes up with supervisord.

`./quickstart run` writes a supervisord configuration with one program per service, starts supervisord, and asks
it to start each program in order. supervisord restarts a program that exits, waiting a second longer after each
failed start (up to 60 tries, about half an hour, before it gives up and reports FATAL), and keeps one log per
service. The CLI talks to it over its XML-RPC interface, on a unix socket only this user can open.
"""

import hashlib
import shlex
import subprocess
import sys
import tempfile
import time
import xmlrpc.client
from dataclasses import dataclass, field
from pathlib import Path

from warehouse import config

VENV_BIN = Path(sys.executable).parent
# A program that runs this long counts as started; one that exits sooner counts as a failed start.
START_SECONDS = 5
START_RETRIES = 60
STOP_WAIT_SECONDS = 20
# supervisord's states of a program it is keeping up.
ACTIVE = ("RUNNING", "STARTING", "BACKOFF")


@dataclass(frozen=True)
class Service:
    """A long-running process of the native stack, the URL that says it is up (http:// or tcp://, if it has one)
    and the environment it adds to the stack's."""

    name: str
    command: list[str]
    health_url: str | None = None
    env: dict[str, str] = field(default_factory=dict)


def run_dir() -> Path:
    return config.state_dir() / "run"


def log_dir() -> Path:
    return config.state_dir() / "logs"


def config_path() -> Path:
    return run_dir() / "supervisord.conf"


def socket_path() -> Path:
    """The control socket: in the state folder, unless that path is too long for a unix socket."""
    wanted = run_dir() / "supervisor.sock"
    if len(str(wanted)) < 100:
        return wanted
    digest = hashlib.sha256(str(config.state_dir()).encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"warehouse-supervisor-{digest}.sock"


def _escaped(value: str) -> str:
    # supervisord interpolates %(name)s in its configuration: a literal % is written %%.
    return value.replace("%", "%%")


def _environment(env: dict[str, str]) -> str:
    """supervisord's KEY="value",… form; its parser has no escapes, so a value is quoted with a quote it lacks."""
    pairs = []
    for name, value in env.items():
        quote = next((quote for quote in ('"', "'") if quote not in value), None)
        if quote is None:
            raise ValueError(f"{name} holds both kinds of quote, which supervisord cannot pass on")
        pairs.append(_escaped(f"{name}={quote}{value}{quote}"))
    return ",".join(pairs)


def write_config(services: list[Service]) -> Path:
    """Write supervisord's configuration: the control socket, its own log, and one program per service."""
    run_dir().mkdir(parents=True, exist_ok=True)
    log_dir().mkdir(parents=True, exist_ok=True)
    sections = [
        f"[unix_http_server]\nfile={_escaped(str(socket_path()))}\nchmod=0700",
        "[supervisord]\n"
        f"logfile={_escaped(str(log_dir() / 'supervisord.log'))}\n"
        f"pidfile={_escaped(str(run_dir() / 'supervisord.pid'))}\n"
        f"childlogdir={_escaped(str(log_dir()))}\n"
        # What the services write (logs, Airflow's generated passwords, the broker's queue) is for this user only.
        "umask=077\n"
        "identifier=warehouse",
        "[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface",
        f"[supervisorctl]\nserverurl=unix://{_escaped(str(socket_path()))}",
    ]
    for service in services:
        lines = [
            f"[program:{service.name}]",
            f"command={_escaped(shlex.join(service.command))}",
            "autostart=false",
            "autorestart=true",
            f"startsecs={START_SECONDS}",
            f"startretries={START_RETRIES}",
            "stopasgroup=true",
            "killasgroup=true",
            f"stopwaitsecs={STOP_WAIT_SECONDS}",
            "redirect_stderr=true",
            f"stdout_logfile={_escaped(str(log_dir() / f'{service.name}.log'))}",
            "stdout_logfile_maxbytes=50MB",
            "stdout_logfile_backups=3",
        ]
        if service.env:
            lines.append(f"environment={_environment(service.env)}")
        sections.append("\n".join(lines))
    path = config_path()
    path.write_text("\n\n".join(sections) + "\n")
    path.chmod(0o600)
    return path


def _control():
    from supervisor.xmlrpc import SupervisorTransport

    transport = SupervisorTransport(None, None, f"unix://{socket_path()}")
    return xmlrpc.client.ServerProxy("http://127.0.0.1", transport=transport).supervisor


def is_running() -> bool:
    try:
        return _control().getState()["statename"] == "RUNNING"
    except (OSError, xmlrpc.client.Error):
        return False


def start_daemon(services: list[Service], env: dict[str, str]) -> None:
    """Start supervisord with the stack's environment (its programs inherit it), unless it runs already."""
    if is_running():
        return
    write_config(services)
    subprocess.run([str(VENV_BIN / "supervisord"), "--configuration", str(config_path())], env=env, check=True)
    deadline = time.monotonic() + 30
    while not is_running():
        if time.monotonic() > deadline:
            raise RuntimeError(f"supervisord did not start; see {log_dir() / 'supervisord.log'}")
        time.sleep(0.2)


def states() -> dict[str, dict]:
    """Each supervised program's state (`statename`, `pid`, `description`), or {} when supervisord is down."""
    try:
        return {info["name"]: info for info in _control().getAllProcessInfo()}
    except (OSError, xmlrpc.client.Error):
        return {}


def start(name: str) -> bool:
    """Start a program and wait until it has run for START_SECONDS; False if it was running already."""
    if states().get(name, {}).get("statename") in ACTIVE:
        return False
    try:
        _control().startProcess(name, True)
    except xmlrpc.client.Fault as fault:
        raise RuntimeError(f"{name} did not start ({fault.faultString}); see {log_dir() / name}.log") from fault
    return True


def stop(names: list[str]) -> list[str]:
    """Stop the running programs among `names`, in that order, then supervisord itself; return those stopped."""
    if not is_running():
        return []
    control, stopped = _control(), []
    running = states()
    for name in [*names, *sorted(set(running) - set(names))]:
        if running.get(name, {}).get("statename") in ACTIVE:
            control.stopProcess(name, True)
            stopped.append(name)
    control.shutdown()
    deadline = time.monotonic() + STOP_WAIT_SECONDS
    while is_running() and time.monotonic() < deadline:
        time.sleep(0.2)
    return stopped
