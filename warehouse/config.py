"""Read the project's configuration from the environment, with a working default for every setting."""

import json
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SQL_DIR = PROJECT_ROOT / "sql"
STATE_DIR = Path(os.environ.get("WAREHOUSE_STATE_DIR", PROJECT_ROOT / ".warehouse"))
CREDENTIALS_FILE = STATE_DIR / "credentials.json"

WAREHOUSE_DATABASE = "warehouse"
AIRFLOW_DATABASE = "airflow"
ADMIN_ROLE = "warehouse_admin"
READER_ROLE = "warehouse_reader"


@dataclass(frozen=True)
class Credentials:
    admin_password: str
    reader_password: str


def load_credentials() -> Credentials | None:
    """Return the embedded server's generated credentials, or None before the first start."""
    if not CREDENTIALS_FILE.exists():
        return None
    return Credentials(**json.loads(CREDENTIALS_FILE.read_text()))


def embedded_port() -> int:
    return int(os.environ.get("WAREHOUSE_PORT", "5433"))


def embedded_url(database: str = WAREHOUSE_DATABASE, role: str = ADMIN_ROLE) -> str:
    credentials = load_credentials()
    if credentials is None:
        raise RuntimeError("the embedded server has not been initialised: run `./quickstart run` first")
    password = credentials.admin_password if role == ADMIN_ROLE else credentials.reader_password
    return f"postgresql://{role}:{password}@127.0.0.1:{embedded_port()}/{database}"


def warehouse_url() -> str:
    """Return the URL that loads and models the warehouse (an owner of its schemas)."""
    return os.environ.get("WAREHOUSE_URL") or embedded_url()


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


def reader_password() -> str:
    """Return the API role's password: configured, the embedded server's, or generated once and kept."""
    configured = os.environ.get("WAREHOUSE_READER_PASSWORD")
    if configured:
        return configured
    credentials = load_credentials()
    if credentials is not None:
        return credentials.reader_password
    generated = STATE_DIR / "reader-password"
    if not generated.exists():
        import secrets

        STATE_DIR.mkdir(parents=True, exist_ok=True)
        generated.write_text(secrets.token_urlsafe(24))
        generated.chmod(0o600)
    return generated.read_text().strip()


def api_database_url() -> str:
    """Return the URL the API reads with: the read-only role on the warehouse database."""
    configured = os.environ.get("API_WAREHOUSE_URL")
    if configured:
        return configured
    return with_role(warehouse_url(), READER_ROLE, reader_password())
