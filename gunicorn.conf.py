"""Production web server settings (gunicorn). Every value can be overridden by environment.

Chosen by measurement on the 2-core machine (see bench/README.md, "Choosing the server"):
sync workers, about two per core. The webhook view is short and its time is spent in
PostgreSQL round trips, so a few more processes than cores keep both cores busy while one
worker waits on the database; threads (gthread) measured no better and add the GIL's
switching to every request.
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", str(multiprocessing.cpu_count() * 2)))
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "sync")
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
# Keep-alive lets a provider (and the load generator) reuse connections between reports.
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
# Recycle workers now and then so a slow leak can never grow a worker without bound.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "100000"))
max_requests_jitter = max_requests // 10
# gunicorn 27 otherwise opens a control socket under $HOME (DESIGN.md, measured pitfalls).
control_socket_disable = True
accesslog = os.environ.get("GUNICORN_ACCESSLOG") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "warning")
