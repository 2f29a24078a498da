"""Delivery-drop alerts.

A rule (`models.AlertRule`) watches a segment — campaign, provider, operator, channel, DLT
template — for a delivery-rate drop or an error-code spike against the segment's own trailing
baseline, or watches a webhook endpoint for silence. `tasks.evaluate` runs every minute
(CELERY_BEAT_SCHEDULE): `evaluation` measures (selectors only; the window/baseline semantics
are documented there), `services.rule_evaluate` fires one alert per episode and resolves it
with hysteresis, recording one `AlertNotification` per email recipient and webhook, which
`tasks.deliver_notifications` sends after commit and retries with backoff (`signing`: the
Standard Webhooks scheme). `/alerts/` is the history page; `/api/v1/alert-rules/` and
`/api/v1/alerts/` the API.
"""
