"""Read every setting from the environment, in one place, with a working default for each.

A setting is declared once, with its default and meaning, by the platform (below) or by the domain that uses it;
`./quickstart config` prints them all, and the README's configuration table lists them.
"""

import json
import multiprocessing
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SQL_DIR = PROJECT_ROOT / "sql"

WAREHOUSE_DATABASE = "warehouse"
AIRFLOW_DATABASE = "airflow"
# The embedded server's roles: the superuser only bootstraps, the pipelines own the schemas, the API only reads.
ADMIN_ROLE = "warehouse_admin"
PIPELINE_ROLE = "warehouse_pipeline"
READER_ROLE = "warehouse_reader"


@dataclass(frozen=True)
class Setting:
    """One environment variable: its name, its default (None: unset) and what it means."""

    name: str
    default: Any
    meaning: str
    parse: Callable[[str], Any] = str
    # How the default reads in the configuration table, where its value depends on the machine.
    shown: str | None = None

    def value(self) -> Any:
        configured = os.environ.get(self.name)
        if configured in (None, ""):
            return self.default() if callable(self.default) else self.default
        return self.parse(configured)

    def is_set(self) -> bool:
        return os.environ.get(self.name) not in (None, "")


SETTINGS: dict[str, Setting] = {}


def setting(
    name: str, default: Any, meaning: str, parse: Callable[[str], Any] = str, shown: str | None = None
) -> Setting:
    """Declare a setting (once per name) and return it."""
    declared = Setting(name, default, meaning, parse, shown)
    SETTINGS.setdefault(name, declared)
    return SETTINGS[name]


def _choice(*allowed: str) -> Callable[[str], str]:
    def parse(value: str) -> str:
        if value.lower() not in allowed:
            raise ValueError(f"expected one of {', '.join(allowed)}, got {value!r}")
        return value.lower()

    return parse


def _seconds(value: str, most: float) -> float:
    seconds = float(value)
    if not 0 <= seconds <= most:
        raise ValueError(f"expected seconds from 0 to {most:g}, got {value!r}")
    return seconds


def _share(value: str) -> float:
    share = float(value)
    if not 0 <= share <= 1:
        raise ValueError(f"expected a share from 0 to 1, got {value!r}")
    return share


def _flag(value: str) -> bool:
    return _choice("0", "1", "false", "true", "no", "yes", "off", "on")(value) in ("1", "true", "yes", "on")


WAREHOUSE_URL = setting(
    "WAREHOUSE_URL",
    None,
    "PostgreSQL URL the pipelines load with: the role that owns the schemas, not a superuser. Unset: "
    "`warehouse_pipeline` on the embedded server.",
)
WAREHOUSE_ADMIN_URL = setting(
    "WAREHOUSE_ADMIN_URL",
    None,
    "URL of a superuser, used only to bootstrap: it makes `WAREHOUSE_URL`'s role "
    "own the schemas and creates the API's reader. Unset: the embedded server's `warehouse_admin`, or "
    "`WAREHOUSE_URL` itself.",
)
WAREHOUSE_PORT = setting("WAREHOUSE_PORT", 5433, "port of the embedded server (127.0.0.1 only)", int)
WAREHOUSE_READER_PASSWORD = setting(
    "WAREHOUSE_READER_PASSWORD", None, "password of the API's read-only role `warehouse_reader`. Unset: generated."
)
WAREHOUSE_STATE_DIR = setting(
    "WAREHOUSE_STATE_DIR",
    PROJECT_ROOT / ".warehouse",
    "where the embedded server, Airflow's home, samples and logs live",
    Path,
    shown=".warehouse",
)
API_WAREHOUSE_URL = setting(
    "API_WAREHOUSE_URL",
    None,
    "URL the API reads with (it may be a streaming replica). Unset: `warehouse_reader` on `WAREHOUSE_URL`, "
    "or on the embedded replica with `WAREHOUSE_REPLICA=1`.",
)
API_HOST = setting(
    "API_HOST", "127.0.0.1", "interface the API listens on (`0.0.0.0` for every interface, as in Docker Compose)"
)
API_PORT = setting("API_PORT", 5000, "port of the API", int)
API_REJECTED_ROW_SAMPLES = setting(
    "API_REJECTED_ROW_SAMPLES",
    3,
    "rejected rows `/quality/<batch>` shows per rule, as they arrived (0 to show none: they may hold personal data)",
    int,
)
API_PUBLIC_URL = setting(
    "API_PUBLIC_URL",
    None,
    "URL the OpenAPI document names as the API's server (behind a proxy, say). Unset: none, so clients use the "
    "address they fetched the document from.",
)
API_MAX_BODY_BYTES = setting(
    "API_MAX_BODY_BYTES", 1_048_576, "largest request body the API reads; a larger one is a 413", int
)
API_WORKERS = setting(
    "API_WORKERS", lambda: multiprocessing.cpu_count() * 2, "gunicorn workers", int, shown="2 × cores"
)
API_THREADS = setting(
    "API_THREADS", 4, "database connections per gunicorn worker (and threads, with `API_WORKER_CLASS=gthread`)", int
)
API_WORKER_CLASS = setting(
    "API_WORKER_CLASS",
    "gevent",
    "gunicorn worker class: `gevent` (a slow client holds a greenlet, not a thread) or `gthread`",
    _choice("gevent", "gthread"),
)
API_RECHECK_SECONDS = setting(
    "API_RECHECK_SECONDS",
    1.0,
    "how often, at most, a worker asks whether a newer snapshot was published; meanwhile it answers the voucher "
    "questions from memory (0: ask before every answer)",
    lambda value: _seconds(value, most=3600),
)
API_ACCESS_LOG = setting(
    "API_ACCESS_LOG",
    1.0,
    "share of successful requests gunicorn's access log records (0 to 1); every error answer is always recorded",
    _share,
)
API_WORKER_CONNECTIONS = setting(
    "API_WORKER_CONNECTIONS", 1000, "open client connections per gunicorn worker (gevent)", int
)
AIRFLOW_PORT = setting("AIRFLOW_PORT", 8080, "port of Airflow's UI and API server", int)
AIRFLOW_HOST = setting(
    "AIRFLOW_HOST", "127.0.0.1", "interface Airflow's UI and API server listen on (`0.0.0.0` for every interface)"
)
AIRFLOW_HEALTH_PORT = setting("AIRFLOW_HEALTH_PORT", 8974, "port of the scheduler's health check (127.0.0.1 only)", int)


AIRFLOW_EXECUTOR = setting(
    "AIRFLOW_EXECUTOR",
    "local",
    "`local`: Airflow runs tasks beside its scheduler. `celery`: a Redis broker and `AIRFLOW_WORKERS` Celery workers",
    _choice("local", "celery"),
)
AIRFLOW_WORKERS = setting("AIRFLOW_WORKERS", 2, "Celery workers `run` starts (with `AIRFLOW_EXECUTOR=celery`)", int)
AIRFLOW_WORKER_CONCURRENCY = setting("AIRFLOW_WORKER_CONCURRENCY", 4, "tasks each Celery worker runs at once", int)
AIRFLOW_FLOWER = setting(
    "AIRFLOW_FLOWER", False, "`1`: also start Flower, Celery's monitoring UI, on `FLOWER_PORT`", _flag, shown="0"
)
FLOWER_PORT = setting("FLOWER_PORT", 5555, "port of Flower (127.0.0.1 only)", int)
CELERY_BROKER_URL = setting(
    "CELERY_BROKER_URL",
    None,
    "Redis URL of the Celery broker. Unset: a Redis server started on `CELERY_BROKER_PORT`",
)
CELERY_BROKER_PORT = setting("CELERY_BROKER_PORT", 6380, "port of the Redis broker `run` starts (127.0.0.1 only)", int)
WAREHOUSE_REPLICA = setting(
    "WAREHOUSE_REPLICA",
    False,
    "`1`: start a streaming replica of the embedded server on `WAREHOUSE_REPLICA_PORT` and point the API at it",
    _flag,
    shown="0",
)
WAREHOUSE_REPLICA_PORT = setting(
    "WAREHOUSE_REPLICA_PORT", 5434, "port of the embedded server's replica (127.0.0.1 only)", int
)


def state_dir() -> Path:
    return WAREHOUSE_STATE_DIR.value()


def credentials_file() -> Path:
    return state_dir() / "credentials.json"


@dataclass(frozen=True)
class Credentials:
    admin_password: str
    reader_password: str
    pipeline_password: str

    def password(self, role: str) -> str:
        return {
            ADMIN_ROLE: self.admin_password,
            PIPELINE_ROLE: self.pipeline_password,
            READER_ROLE: self.reader_password,
        }[role]


def load_credentials() -> Credentials | None:
    """Return the embedded server's generated credentials, or None before the first start.

    A state folder from before the pipeline had a role of its own gets the role's password generated and kept.
    """
    path = credentials_file()
    if not path.exists():
        return None
    stored = json.loads(path.read_text())
    if "pipeline_password" not in stored:
        stored["pipeline_password"] = secrets.token_urlsafe(24)
        path.write_text(json.dumps(stored))
        path.chmod(0o600)
    return Credentials(**stored)


def embedded_url(database: str = WAREHOUSE_DATABASE, role: str = PIPELINE_ROLE) -> str:
    """Return a URL of the embedded server, logging in as one of its roles (the pipeline's by default)."""
    credentials = load_credentials()
    if credentials is None:
        raise RuntimeError("the embedded server has not been initialised: run `./quickstart run` first")
    return f"postgresql://{role}:{credentials.password(role)}@127.0.0.1:{WAREHOUSE_PORT.value()}/{database}"


def warehouse_url() -> str:
    """Return the URL that loads and models the warehouse: the owner of its schemas, not a superuser."""
    return WAREHOUSE_URL.value() or embedded_url()


def admin_url() -> str:
    """Return the URL that bootstraps: the embedded superuser, WAREHOUSE_ADMIN_URL, or else WAREHOUSE_URL."""
    if WAREHOUSE_ADMIN_URL.is_set():
        return WAREHOUSE_ADMIN_URL.value()
    if is_embedded():
        return embedded_url(role=ADMIN_ROLE)
    return WAREHOUSE_URL.value()


def with_database(url: str, database: str) -> str:
    """Return `url` pointing at another database on the same server."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{database}"))


def with_role(url: str, role: str, password: str) -> str:
    """Return `url` logging in as another role."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    port = f":{parts.port}" if parts.port else ""
    return urlunsplit(parts._replace(netloc=f"{role}:{password}@{host}{port}"))


def with_port(url: str, port: int) -> str:
    """Return `url` on another port of the same host."""
    parts = urlsplit(url)
    credentials, _, host = parts.netloc.rpartition("@")
    host = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    return urlunsplit(parts._replace(netloc=f"{credentials}@{host}:{port}" if credentials else f"{host}:{port}"))


def reader_password() -> str:
    """Return the API role's password: configured, the embedded server's, or generated once and kept."""
    configured = WAREHOUSE_READER_PASSWORD.value()
    if configured:
        return configured
    credentials = load_credentials()
    if credentials is not None:
        return credentials.reader_password
    generated = state_dir() / "reader-password"
    if not generated.exists():
        generated.parent.mkdir(parents=True, exist_ok=True)
        generated.write_text(secrets.token_urlsafe(24))
        generated.chmod(0o600)
    return generated.read_text().strip()


def is_embedded() -> bool:
    """Say whether the warehouse is the embedded server (WAREHOUSE_URL unset, or set to it for child processes)."""
    if not WAREHOUSE_URL.is_set():
        return True
    return load_credentials() is not None and WAREHOUSE_URL.value() == embedded_url()


def uses_replica() -> bool:
    """Say whether the API reads from the embedded server's streaming replica."""
    return WAREHOUSE_REPLICA.value() and is_embedded()


def api_database_url() -> str:
    """Return the URL the API reads with: the read-only role on the warehouse database, or on its replica."""
    if API_WAREHOUSE_URL.is_set():
        return API_WAREHOUSE_URL.value()
    url = with_role(warehouse_url(), READER_ROLE, reader_password())
    return with_port(url, WAREHOUSE_REPLICA_PORT.value()) if uses_replica() else url
