"""What the dashboard and alerts count as late: the validity of a DLR and the latency
objectives, per channel. Imported by dlrdash/settings.py; every upper-case name here is a
setting."""

from django.core.exceptions import ImproperlyConfigured

from dlrdash.env import envlist

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
