"""Settings for the benchmark server: the project's, plus the two baseline views."""

from dlrdash.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
# Secret shared by the HMAC baseline view and the load generator's signed bodies.
BENCH_HMAC_SECRET = "bench-smstake-secret-0123456789"  # noqa: S105
# The baselines are served like the webhook (dlrdash/wsgi.py): the same lean handler.
LEAN_PATH_PREFIXES = ("/webhooks/", "/bench/")
