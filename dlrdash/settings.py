"""dlrdash settings: one file, configured by environment variables only.

Every variable has a development default, so `make run` works on a fresh machine with
nothing set. Production sets at least SECRET_KEY, DEBUG=0, ALLOWED_HOSTS, DATABASE_URL
(PostgreSQL) and CELERY_BROKER_URL (Redis). See README.md for the full table.
"""

import os
import re
import sys
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp import constants as csp_constants
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def envstr(name: str, default: str) -> str:
    return os.environ.get(name, default)


def envbool(name: str, default: str) -> bool:
    value = os.environ.get(name, default).strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off", ""):
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {value!r}")


def envint(name: str, default: str) -> int:
    value = os.environ.get(name, default)
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {value!r}") from None


def envlist(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = envbool("DEBUG", "1")
SECRET_KEY = envstr("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"  # noqa: S105

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "deliveries",
    "webhooks",
    "alerts",
    "audit",
    "forwarding",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Static files without a separate server; answered before sessions and the rest.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes requires: it turns a locked-out login into a 429.
    "axes.middleware.AxesMiddleware",
]

# Webhooks are served by a handler with only these (dlrdash/wsgi.py): a provider's POST needs
# no session, login, CSRF (exempt), messages, CSP or lockout, and they cost ~60 % of the CPU
# of a bare request.
LEAN_PATH_PREFIXES: tuple[str, ...] = ("/webhooks/",)
LEAN_MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "dlrdash.urls"
WSGI_APPLICATION = "dlrdash.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
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
    # of work_mem that aggregate spilled to disk (dashboard at 10 M messages: 1.24 s at
    # 4 MB, 0.69 s at 64 MB, bench/README.md). Per sort or hash node, per connection.
    DB_WORK_MEM = envstr("DB_WORK_MEM", "64MB")
    if not re.fullmatch(r"\d+(kB|MB|GB)?", DB_WORK_MEM):
        raise ImproperlyConfigured(f"DB_WORK_MEM must look like 64MB, got {DB_WORK_MEM!r}")
    _default_db["OPTIONS"]["options"] = f"-c work_mem={DB_WORK_MEM}"
    # No CONN_HEALTH_CHECKS: its SELECT 1 was a fifth of a webhook's time; a connection
    # that died answers 503 once (the provider retries) and is replaced.
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
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = envstr("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(envstr("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
# Static files are served by the app itself (WhiteNoise), no separate server needed. With
# DEBUG off they are the files `collectstatic` gathered into STATIC_ROOT (`make serve` runs it
# at start, dlrdash/serve.py), named with a hash of their content and cached by browsers for
# ten years (dlrdash/storage.py). With DEBUG on (development, tests) they are read from the
# app folders as they are, nothing collected.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "dlrdash.storage.HashedStaticStorage"
    },
}
# Fixed here rather than read from settings.DEBUG when the middleware starts: the test runner
# turns DEBUG off, and tests have nothing collected.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

LOGIN_URL = "admin:login"

# --- Celery ---------------------------------------------------------------------------
# Unset broker: tasks run inline (eagerly) in the process that enqueues them.
CELERY_BROKER_URL = envstr("CELERY_BROKER_URL", "")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
# Enqueueing must never hold up a webhook request: the event is already stored and the
# periodic sweep will pick it up if the broker is away.
CELERY_BROKER_CONNECTION_TIMEOUT = 1
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": 1,
    "socket_timeout": 2,
    "max_retries": 0,
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Requests to destinations users configure (alert webhooks) wait on hosts we do not run:
# their own queue, consumed by its own worker (`make outbound-worker`), so a slow receiver
# never delays the worker that applies reports (`make worker` takes the default queue only).
# What leaves for other people's servers never runs in the worker that applies reports.
CELERY_TASK_ROUTES = {
    "alerts.tasks.deliver_notifications": {"queue": "outbound"},
    "forwarding.tasks.drain": {"queue": "outbound"},
}
CELERY_BEAT_SCHEDULE = {
    "drain-inbox": {
        "task": "webhooks.tasks.drain_inbox",
        "schedule": float(envint("INBOX_SWEEP_SECONDS", "10")),
    },
    "prune": {"task": "webhooks.tasks.prune", "schedule": 24 * 3600.0},
    "alerts-evaluate": {"task": "alerts.tasks.evaluate", "schedule": 60.0},
    "forwarding-prune": {"task": "forwarding.tasks.prune", "schedule": 24 * 3600.0},
    # No-DLR deadlines and due retries; a tick that waited past the next one is dropped.
    "forwarding-tick": {
        "task": "forwarding.tasks.tick",
        "schedule": float(envint("FORWARDING_TICK_SECONDS", "1")),
        "options": {"expires": 2 * envint("FORWARDING_TICK_SECONDS", "1")},
    },
}

# --- Alerts (alerts/) -------------------------------------------------------------------
# Absolute links in notifications (the dashboard link of each alert) start with this.
# Outgoing mail (alert notifications). Without EMAIL_HOST, mail is printed to the console.
EMAIL_HOST = envstr("EMAIL_HOST", "")
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_PORT = envint("EMAIL_PORT", "587")
EMAIL_HOST_USER = envstr("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = envstr("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", "1")
EMAIL_TIMEOUT = 10
ALERTS_BASE_URL = envstr("ALERTS_BASE_URL", "http://localhost:8000").rstrip("/")
ALERTS_FROM_EMAIL = envstr("ALERTS_FROM_EMAIL", "dlrdash alerts <alerts@localhost>")
# Attempts before an alert notification is given up as failed.
ALERTS_MAX_ATTEMPTS = envint("ALERTS_MAX_ATTEMPTS", "8")
# Destinations users configure (alert webhooks, forwarding targets) are refused when they
# resolve to loopback, private, link-local or metadata addresses (dlrdash/outbound/),
# unless listed here: host names, addresses or networks, e.g. "alerts.internal,10.1.2.0/24".
OUTBOUND_ALLOWED_HOSTS = envlist("OUTBOUND_ALLOWED_HOSTS", "")

# --- Forwarding (forwarding/): outcomes pushed to customers' receivers ------------------
# How often beat (or, without a broker, the web process's sending thread) scans no-DLR
# deadlines and sends due retries: a deadline fires within about this much of its time.
FORWARDING_TICK_SECONDS = envint("FORWARDING_TICK_SECONDS", "1")
# Without a broker, the web process sends in a background thread (off: nothing is sent).
# Off by default under pytest: tests call the WSGI application (schemathesis loads the
# schema through it at collection), and a thread ticking on the test database between
# tests would race them; tests that need it turn it on.
FORWARDING_INLINE_SENDER = envbool(
    "FORWARDING_INLINE_SENDER", "0" if "pytest" in sys.modules else "1"
)
# Deliveries a worker claims at once, and concurrent requests per receiver.
FORWARDING_BATCH_SIZE = envint("FORWARDING_BATCH_SIZE", "500")
FORWARDING_TARGET_CONCURRENCY = envint("FORWARDING_TARGET_CONCURRENCY", "8")
# Retry delays: FORWARDING_RETRY_BASE_SECONDS doubling per attempt up to
# FORWARDING_RETRY_MAX_SECONDS, with jitter; dead-lettered after the subscription's hours.
FORWARDING_RETRY_BASE_SECONDS = envint("FORWARDING_RETRY_BASE_SECONDS", "5")
FORWARDING_RETRY_MAX_SECONDS = envint("FORWARDING_RETRY_MAX_SECONDS", "3600")
# Delivered and dead-lettered rows (and their attempts) are deleted after this.
RETENTION_DELIVERY_DAYS = envint("RETENTION_DELIVERY_DAYS", "30")

# --- REST framework -------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # Oversized pages are a 400 rather than silently clamped (see deliveries/api/common.py).
    "DEFAULT_PAGINATION_CLASS": "deliveries.api.common.LimitOffsetPagination400",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Only token clients (other services) are throttled; 429 with Retry-After beyond this.
    "DEFAULT_THROTTLE_CLASSES": ["deliveries.api.common.TokenRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"token": envstr("API_TOKEN_RATE", "1200/min")},
    # A database that is down is a JSON 503 with Retry-After, not an HTML 500.
    "EXCEPTION_HANDLER": "deliveries.api.errors.api_exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "dlrdash API",
    "DESCRIPTION": "Delivery reports, message statuses and delivery statistics.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "deliveries.api.schema.registration_batch_limits",
    ],
    "ENUM_NAME_OVERRIDES": {
        "StatusEnum": "deliveries.status.CHOICES",
        "ChannelEnum": "deliveries.reports.CHANNEL_CHOICES",
        "EventTypeEnum": "forwarding.models.EVENT_TYPE_CHOICES",
    },
}

# --- dlrdash --------------------------------------------------------------------------
# Largest webhook body accepted; larger answers 413 without being read further.
WEBHOOK_MAX_BODY_BYTES = envint("WEBHOOK_MAX_BODY_BYTES", str(256 * 1024))
# Threads of a web process that may be reading request bodies at once; a body arriving when
# slow senders hold them all is answered 503 (dlrdash/request_bodies.py). Keep it under
# WEB_THREADS, so that slow senders can never take every thread.
REQUEST_BODY_READERS = envint("REQUEST_BODY_READERS", "8")
if REQUEST_BODY_READERS < 1:
    raise ImproperlyConfigured("REQUEST_BODY_READERS must be at least 1")
# Requests that fail authentication are logged (headers in brief, never the body) up to this
# many per endpoint and minute in each web process; beyond, they are only counted
# (webhooks/rejections.py), so a flood of forged requests cannot fill the log.
WEBHOOK_REJECTED_LOG_PER_MINUTE = envint("WEBHOOK_REJECTED_LOG_PER_MINUTE", "60")
# Region used to read phone numbers written without a country code ("098765 43210").
PHONE_DEFAULT_REGION = envstr("PHONE_DEFAULT_REGION", "IN")
# Events that fail processing are retried this many times (with backoff) before they
# are parked as failed for a human to look at.
INBOX_MAX_ATTEMPTS = envint("INBOX_MAX_ATTEMPTS", "5")
INBOX_BATCH_SIZE = envint("INBOX_BATCH_SIZE", "500")
# How long a process may use its copy of an endpoint (secrets, active) before re-reading.
ENDPOINT_CACHE_SECONDS = envint("ENDPOINT_CACHE_SECONDS", "5")
# PostgreSQL: concurrent webhooks of a web process share one INSERT and commit
# (webhooks/inbox_writer.py); each is still answered only after its row is committed.
WEBHOOK_GROUP_COMMIT = envbool("WEBHOOK_GROUP_COMMIT", "1")
# Writer threads (and connections) per web process for group commit: with more than one, a
# row arriving while a writer waits for its commit goes out with the next idle one. One
# measured best on the quiet 2-core machine (bigger groups, fewer statements; bench/README.md).
WEBHOOK_GROUP_WRITERS = envint("WEBHOOK_GROUP_WRITERS", "1")
if WEBHOOK_GROUP_WRITERS < 1:
    raise ImproperlyConfigured("WEBHOOK_GROUP_WRITERS must be at least 1")
# Retention. Raw bodies and query strings go first (they hold numbers); the log row stays for
# support; status history goes last. Rollups are never pruned.
RETENTION_RAW_BODY_DAYS = envint("RETENTION_RAW_BODY_DAYS", "30")
RETENTION_INBOUND_EVENT_DAYS = envint("RETENTION_INBOUND_EVENT_DAYS", "90")
RETENTION_STATUS_EVENT_DAYS = envint("RETENTION_STATUS_EVENT_DAYS", "400")
# History shorter than the longest provider retry horizon (SMSTAKE retries for 72 h) would
# show a late retry's message with no trace of the report it repeats.
if RETENTION_STATUS_EVENT_DAYS < 4:
    raise ImproperlyConfigured("RETENTION_STATUS_EVENT_DAYS must be at least 4 (72 h retries)")
# Dedup keys (deliveries.ReportKey) must outlive that retry horizon and every event that can
# still be reprocessed (one whose raw body is kept), or a report would be recorded twice. Not
# longer: the key table then holds a month of keys instead of the whole history's.
RETENTION_REPORT_KEY_DAYS = max(RETENTION_RAW_BODY_DAYS, 4)
# The audit trail (audit/): who saw full numbers, exported, or changed endpoints, secrets,
# roles or users. Entries older than this are deleted by the daily prune task.
AUDIT_RETENTION_DAYS = envint("AUDIT_RETENTION_DAYS", "365")
if AUDIT_RETENTION_DAYS < 1:
    raise ImproperlyConfigured("AUDIT_RETENTION_DAYS must be at least 1")
# /readyz answers 503 when the inbox is further behind than this.
READY_MAX_BACKLOG = envint("READY_MAX_BACKLOG", "50000")
READY_MAX_PENDING_AGE = envint("READY_MAX_PENDING_AGE", "300")  # seconds
# When set, /metrics wants "Authorization: Bearer <METRICS_TOKEN>".
METRICS_TOKEN = envstr("METRICS_TOKEN", "")
# Proxies whose X-Forwarded-For is believed (for endpoint IP allowlists and the log).
TRUSTED_PROXIES = envlist("TRUSTED_PROXIES", "127.0.0.1/32,::1/128")
# Hours after submission without a final report before the dashboard counts a message as
# "no DLR" (a late report still supersedes it). Override some or all channels with e.g.
# DLR_VALIDITY_HOURS="sms=72,voice=1".
DLR_VALIDITY_HOURS: dict[str, int] = {"sms": 48, "mms": 48, "rcs": 48, "whatsapp": 72, "voice": 2}
for _item in envlist("DLR_VALIDITY_HOURS", ""):
    _channel, _, _hours = _item.partition("=")
    if _channel.strip() not in DLR_VALIDITY_HOURS or not _hours.strip().isdigit():
        raise ImproperlyConfigured(
            f"DLR_VALIDITY_HOURS must look like 'sms=48,voice=2', got {_item!r}"
        )
    DLR_VALIDITY_HOURS[_channel.strip()] = int(_hours)

# Latency objectives per channel: (seconds, share), e.g. sms (10, 0.95) = 95 % of delivered
# SMS arrive within 10 s of submission. Override with LATENCY_SLO="sms=10:0.95,voice=60:0.9".
LATENCY_SLO: dict[str, tuple[float, float]] = {
    "sms": (10, 0.95),
    "mms": (30, 0.95),
    "rcs": (30, 0.95),
    "whatsapp": (30, 0.95),
    "voice": (60, 0.9),
}
for _item in envlist("LATENCY_SLO", ""):
    _channel, _, _target = _item.partition("=")
    _seconds, _, _share = _target.partition(":")
    try:
        _slo = (float(_seconds), float(_share))
    except ValueError:
        _slo = (0.0, 0.0)
    if _channel.strip() not in LATENCY_SLO or _slo[0] <= 0 or not 0 < _slo[1] <= 1:
        raise ImproperlyConfigured(
            f"LATENCY_SLO must look like 'sms=10:0.95,voice=60:0.9', got {_item!r}"
        )
    LATENCY_SLO[_channel.strip()] = _slo

# --- Production hardening -------------------------------------------------------------
# Production runs behind a TLS-terminating proxy that sets X-Forwarded-Proto.
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", "1")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", "31536000")
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Login lockout (django-axes): AXES_FAILURE_LIMIT failures for one user name, from any
# addresses, lock that name; as many from one address, for any names, lock that address;
# both for AXES_COOLOFF_MINUTES. Per name alone, because addresses are cheap: behind a
# trusted proxy each attempt can bring another X-Forwarded-For. The address is the one our
# trusted proxies vouch for (the nearest hop they did not add), not django-ipware's guess.
AXES_FAILURE_LIMIT = envint("AXES_FAILURE_LIMIT", "5")
AXES_COOLOFF_TIME = timedelta(minutes=envint("AXES_COOLOFF_MINUTES", "15"))
AXES_LOCKOUT_PARAMETERS = [["username"], ["ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "webhooks.services.client_address"
AXES_VERBOSE = False

# Content Security Policy (django-csp): only our own scripts run; no CDN anywhere.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp_constants.SELF],
        "script-src": [csp_constants.SELF],
        # Django's admin and Swagger UI set inline style attributes.
        "style-src": [csp_constants.SELF, csp_constants.UNSAFE_INLINE],
        "img-src": [csp_constants.SELF, "data:"],
        "object-src": [csp_constants.NONE],
        "base-uri": [csp_constants.SELF],
        "form-action": [csp_constants.SELF],
        "frame-ancestors": [csp_constants.NONE],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "dlrdash.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": envstr("LOG_FORMAT", "plain")}
    },
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "INFO")},
    "loggers": {
        # The webhook path logs its own concise line per request; Django's 4xx warnings
        # would repeat it (and could echo a query string carrying a token).
        "django.request": {"level": "ERROR"},
        "django.server": {"level": "WARNING" if not DEBUG else "INFO"},
    },
}
