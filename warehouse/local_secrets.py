"""Generate, once, the local secrets the native stack needs, and keep them out of the repository."""

import json
import secrets
import sys

from warehouse import config


def airflow_secrets() -> dict:
    """Return Airflow's secrets, generating them on first use."""
    secrets_file = config.state_dir() / "airflow-secrets.json"
    if secrets_file.exists():
        return json.loads(secrets_file.read_text())
    from cryptography.fernet import Fernet

    values = {
        "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(32),
        "AIRFLOW__API__SECRET_KEY": secrets.token_urlsafe(32),
        # Encrypts connection passwords stored in Airflow's metadata database.
        "AIRFLOW__CORE__FERNET_KEY": Fernet.generate_key().decode(),
    }
    secrets_file.parent.mkdir(parents=True, exist_ok=True)
    secrets_file.write_text(json.dumps(values))
    secrets_file.chmod(0o600)
    return values


if __name__ == "__main__":
    # Print shell exports for the quickstart.
    for name, value in airflow_secrets().items():
        sys.stdout.write(f"export {name}='{value}'\n")
