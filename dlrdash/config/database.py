"""Database settings: SQLite by default, PostgreSQL through DATABASE_URL, and an optional
read replica. Imported by dlrdash/settings.py; every upper-case name here is a setting."""

import re

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from dlrdash.env import BASE_DIR, envint, envstr

# Embedded SQLite by default; PostgreSQL (production, CI) through DATABASE_URL.
DATABASE_URL = envstr("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
try:
    _default_db = dj_database_url.parse(DATABASE_URL, conn_max_age=envint("DB_CONN_MAX_AGE", "60"))
except Exception as exc:  # dj_database_url raises several types for a malformed URL
    raise ImproperlyConfigured(f"DATABASE_URL is not a valid database URL: {exc}") from None
if _default_db["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE makes every transaction take the write lock at BEGIN, so two requests
    # applying reports for one message serialize instead of failing with "locked".
    # WAL lets the dashboard read while a webhook writes; synchronous=NORMAL is durable
    # across process crashes (not power loss), right for the embedded, single-box setup.
    _default_db["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    _default_db["CONN_MAX_AGE"] = 0
elif _default_db["ENGINE"] == "django.db.backends.postgresql":
    # A short connect timeout lets the webhook answer 503 quickly when PostgreSQL is down,
    # so the provider retries instead of our workers hanging.
    _default_db.setdefault("OPTIONS", {})
    _default_db["OPTIONS"].setdefault("connect_timeout", envint("DB_CONNECT_TIMEOUT", "3"))
    # A reused connection to a server that vanished (failover, partition) would otherwise
    # wait forever: TCP keepalives and tcp_user_timeout make it fail within ~15 s.
    _default_db["OPTIONS"].update(
        keepalives=1,
        keepalives_idle=10,
        keepalives_interval=5,
        keepalives_count=3,
        tcp_user_timeout=envint("DB_TCP_USER_TIMEOUT_MS", "15000"),
    )
    # Dashboard reads aggregate 10^5 rollup cells and more; with PostgreSQL's default 4 MB
    # of work_mem that aggregate spilled to disk (bench/README.md). Per sort or hash node,
    # per connection.
    DB_WORK_MEM = envstr("DB_WORK_MEM", "64MB")
    if not re.fullmatch(r"\d+(kB|MB|GB)?", DB_WORK_MEM):
        raise ImproperlyConfigured(f"DB_WORK_MEM must look like 64MB, got {DB_WORK_MEM!r}")
    # JIT off: the rollup reads are planned as costly (many wide cells) but run in tens of
    # milliseconds, and compiling them took several times longer than running them.
    _default_db["OPTIONS"]["options"] = f"-c work_mem={DB_WORK_MEM} -c jit=off"
    # No CONN_HEALTH_CHECKS: its SELECT 1 was a large share of a webhook's time
    # (bench/README.md); a connection that died answers 503 once (the provider retries)
    # and is replaced.
DATABASES = {"default": _default_db}
# A streaming replica of the primary for the dashboard's reads (dlrdash/routers.py).
DATABASE_REPLICA_URL = envstr("DATABASE_REPLICA_URL", "")
if DATABASE_REPLICA_URL:
    try:
        _replica = dj_database_url.parse(DATABASE_REPLICA_URL, conn_max_age=60)
    except Exception as exc:
        raise ImproperlyConfigured(f"DATABASE_REPLICA_URL is not a valid URL: {exc}") from None
    _replica["OPTIONS"] = dict(_default_db.get("OPTIONS", {}))
    # Tests run against the primary: the "replica" is the same test database.
    _replica["TEST"] = {"MIRROR": "default"}
    DATABASES["replica"] = _replica
DATABASE_ROUTERS = ["dlrdash.routers.ReplicaRouter"]
