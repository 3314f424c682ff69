"""Gunicorn settings for the API, read from the project's configuration like every other setting."""

# gunicorn reads every module-level name as a setting, and `config` is one of its own: import under another name.
from api_endpoint import serving
from warehouse import config as settings

bind = f"{settings.API_HOST.value()}:{settings.API_PORT.value()}"
workers = settings.API_WORKERS.value()
# gevent (the default): each connection is a greenlet, so clients that send slowly, or hold a half-sent body,
# wait without holding a worker; the pool in db.py still caps each worker at API_THREADS database connections.
# gthread: API_THREADS threads per worker, each busy with one request from its first byte to its last.
worker_class = settings.API_WORKER_CLASS.value()
worker_connections = settings.API_WORKER_CONNECTIONS.value()
threads = settings.API_THREADS.value()
timeout = 30
graceful_timeout = 10
keepalive = 5
accesslog = "-"
# Every error, and API_ACCESS_LOG's share of the other requests.
logger_class = serving.AccessLog
serving.AccessLog.share = settings.API_ACCESS_LOG.value()
errorlog = "-"
preload_app = False

# What gunicorn refuses before the app sees a request (414, 431, a malformed request) is JSON like every error.
serving.install()
