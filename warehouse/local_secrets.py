"""Generate, once, the local secrets the native stack needs, and keep them out of the repository."""

import json
import secrets
import sys

from warehouse import config

SECRETS_FILE = config.STATE_DIR / "airflow-secrets.json"


def airflow_secrets() -> dict:
    if SECRETS_FILE.exists():
        return json.loads(SECRETS_FILE.read_text())
    from cryptography.fernet import Fernet

    values = {
        "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(32),
        "AIRFLOW__API__SECRET_KEY": secrets.token_urlsafe(32),
        # Encrypts connection passwords stored in Airflow's metadata database.
        "AIRFLOW__CORE__FERNET_KEY": Fernet.generate_key().decode(),
    }
    config.STATE_DIR.mkdir(parents=True, exist_ok=True)
    SECRETS_FILE.write_text(json.dumps(values))
    SECRETS_FILE.chmod(0o600)
    return values


if __name__ == "__main__":
    # Print shell exports for the quickstart.
    for name, value in airflow_secrets().items():
        sys.stdout.write(f"export {name}='{value}'\n")
