"""Gunicorn settings for the API, read from the project's configuration like every other setting."""

# gunicorn reads every module-level name as a setting, and `config` is one of its own: import under another name.
from warehouse import config as settings

bind = f"{settings.API_HOST.value()}:{settings.API_PORT.value()}"
workers = settings.API_WORKERS.value()
# Threads let a worker overlap database round trips; the pool in db.py is sized to match.
threads = settings.API_THREADS.value()
worker_class = "gthread"
timeout = 30
graceful_timeout = 10
keepalive = 5
accesslog = "-"
errorlog = "-"
preload_app = False
