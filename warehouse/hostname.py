"""The host name Airflow records on each task instance (`[core] hostname_callable`).

Celery workers started side by side on one machine would all record the machine's name; each is given its own
name in WAREHOUSE_WORKER_NAME, so a task instance says which worker ran it. Elsewhere this is the machine's name.
"""

import os
import socket


def worker_hostname() -> str:
    host = socket.getfqdn()
    worker = os.environ.get("WAREHOUSE_WORKER_NAME")
    return f"{worker}@{host}" if worker else host
