"""Outgoing mail, alert notifications, digests and the message page's pending facts.
Imported by dlrdash/settings.py; every upper-case name here is a setting."""

from dlrdash.env import envbool, envint, envstr

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
ALERTS_FROM_EMAIL = envstr("ALERTS_FROM_EMAIL", "dlrdash alerts <alerts@localhost>")
# Attempts before an alert notification is given up as failed.
ALERTS_MAX_ATTEMPTS = envint("ALERTS_MAX_ATTEMPTS", "8")

# --- Message page, digests (deliveries/pending.py, digests/) -----------------------------
# The message page's "why is it still Sent?" reads endpoint health and forwarding deadlines
# through this function (deliveries may not import webhooks).
MESSAGE_PENDING_FACTS = "webhooks.pending.message_pending_facts"
DIGESTS_FROM_EMAIL = envstr("DIGESTS_FROM_EMAIL", "dlrdash digests <digests@localhost>")
# A function (dotted path) giving each provider's cost over a period for the digest's
# scorecard: (since, until) -> {provider: "text"}; the spend rollup by default, empty: no column.
DIGEST_COSTS = envstr("DIGEST_COSTS", "billing.selectors.provider_costs")
