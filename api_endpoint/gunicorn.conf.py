"""Gunicorn settings for the API, read from the environment like the rest of the configuration."""

import multiprocessing
import os

bind = f"{os.environ.get('API_HOST', '0.0.0.0')}:{os.environ.get('API_PORT', '5000')}"
workers = int(os.environ.get("API_WORKERS", multiprocessing.cpu_count() * 2))
# Threads let a worker overlap database round trips; the pool in db.py is sized to match.
threads = int(os.environ.get("API_THREADS", "4"))
worker_class = "gthread"
timeout = 30
graceful_timeout = 10
keepalive = 5
accesslog = "-"
errorlog = "-"
preload_app = False
