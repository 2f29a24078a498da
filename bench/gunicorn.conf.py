"""gunicorn settings for the bench's server phase (BENCH_PHASES=server), by environment.

Production runs granian (dlrdash/serve.py): in the same run it served 1.6× the webhooks of
gunicorn's best layout, gthread 2×16 (bench/README.md, "Choosing the server"). These are
the gunicorn layouts it was compared with.
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", str(multiprocessing.cpu_count())))
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
threads = int(os.environ.get("GUNICORN_THREADS", "16"))
# Keep-alive lets a provider (and the load generator) reuse connections between reports.
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
# Recycle workers now and then so a slow leak can never grow a worker without bound.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "100000"))
max_requests_jitter = max_requests // 10
# gunicorn 27 otherwise opens a control socket under $HOME.
control_socket_disable = True
accesslog = os.environ.get("GUNICORN_ACCESSLOG") or None
# %(U)s is the path without the query string: a Wavix token in ?token= never reaches a log.
access_log_format = '%(h)s %(t)s "%(m)s %(U)s" %(s)s %(b)s %(L)s'

errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "warning")
