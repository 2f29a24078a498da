"""dlrdash settings: the one module Django points at, configured by environment variables only.

The env readers are in dlrdash/env.py; the database, the inbox and the reporting groups in
dlrdash/config/, each imported below in its place.

Every variable has a development default, so `make run` works on a fresh machine with
nothing set. Production sets at least SECRET_KEY, DEBUG=0, ALLOWED_HOSTS, DATABASE_URL
(PostgreSQL) and CELERY_BROKER_URL (Redis). See README.md for the full table.
"""

import sys
from datetime import timedelta
from pathlib import Path

from csp import constants as csp_constants
from django.core.exceptions import ImproperlyConfigured

from dlrdash.env import BASE_DIR, envbool, envint, envlist, envstr, envzone

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
    "conversions",
    "digests",
    "billing",
    "accounts",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Static files without a separate server; answered before sessions and the rest.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # The zone pages show times in: the signed-in user's, else DISPLAY_TIME_ZONE.
    "accounts.middleware.TimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes requires: it turns a locked-out login into a 429.
    "axes.middleware.AxesMiddleware",
]

# Webhooks are served by a handler with only these (dlrdash/wsgi.py): a provider's POST needs
# no session, login, CSRF (exempt), messages, CSP or lockout, and they cost most of the CPU
# of a bare request (bench/README.md).
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
            # `{{ value|when }}`: every template writes times one way, with their zone.
            "builtins": ["accounts.templatetags.times"],
        },
    },
]

# --- Database -------------------------------------------------------------------------
# Every upper-case name of dlrdash/config/database.py: DATABASES and what it is built from.
from dlrdash.config.database import *  # noqa: E402, F403

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
# Times are stored in UTC (USE_TZ), and machines read UTC: Django's default zone stays UTC,
# so the API, forwarded payloads, workers and logs write times as they always have.
TIME_ZONE = "UTC"
# People read this zone (the env var TIME_ZONE, an IANA name): pages and the admin show times
# in it unless a user picks another on /profile/ (accounts/middleware.py). India's by
# default, like the default phone region.
DISPLAY_TIME_ZONE = envzone("TIME_ZONE", "Asia/Kolkata")
USE_I18N = True
USE_TZ = True
# One date-and-time format for the pages and the admin, with the zone (dlrdash/formats/).
FORMAT_MODULE_PATH = ["dlrdash.formats"]

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
# Where the server is reached from outside, e.g. https://dlr.example.com: `create_endpoint`
# and `setup_demo` print endpoint URLs under it, and alert links use it unless
# ALERTS_BASE_URL says otherwise.
PUBLIC_BASE_URL = envstr("PUBLIC_BASE_URL", "").rstrip("/")

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
    "digests.tasks.send_due": {"queue": "outbound"},
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
    # Scheduled digests: each subscription's send time is checked every minute.
    "digests-send": {"task": "digests.tasks.send_due", "schedule": 60.0},
    "forwarding-tick": {
        "task": "forwarding.tasks.tick",
        "schedule": float(envint("FORWARDING_TICK_SECONDS", "1")),
        "options": {"expires": 2 * envint("FORWARDING_TICK_SECONDS", "1")},
    },
}

# --- Alerts (alerts/) -------------------------------------------------------------------
# Absolute links in notifications (the dashboard link of each alert) start with this.
ALERTS_BASE_URL = envstr("ALERTS_BASE_URL", PUBLIC_BASE_URL or "http://localhost:8000").rstrip("/")
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
# Webhook receiving, the inbox and retention (dlrdash/config/inbox.py).
from dlrdash.config.inbox import *  # noqa: E402, F403

# Outgoing mail, alert notifications and digests (dlrdash/config/notifications.py).
from dlrdash.config.notifications import *  # noqa: E402, F403

# Late DLRs and latency objectives per channel (dlrdash/config/reporting.py).
from dlrdash.config.reporting import *  # noqa: E402, F403

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
AXES_CLIENT_IP_CALLABLE = "webhooks.receiving.client_address"
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
