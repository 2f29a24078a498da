"""Receiving webhooks and processing the inbox: body limits, retries, group commit,
retention, readiness. Imported by dlrdash/settings.py; every upper-case name here is a
setting."""

from django.core.exceptions import ImproperlyConfigured

from dlrdash.env import envbool, envint, envlist, envstr

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
