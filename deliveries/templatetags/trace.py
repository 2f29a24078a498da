"""Template filters for message pages: status badges, masked numbers, durations."""

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from .. import status as st
from ..phones import phone_mask

register = template.Library()

OUTCOME_LABELS: dict[str, str] = {
    st.Outcome.APPLIED: "applied",
    st.Outcome.RECORDED: "recorded",
    st.Outcome.OUT_OF_ORDER: "out of order",
    st.Outcome.DUPLICATE: "duplicate",
}


@register.filter
def status_badge(status: str) -> SafeString:
    info = st.info(status)
    # Styled inline as well as by class: the admin does not load app.css.
    return format_html(
        '<span class="badge" style="background:{};color:#fff;padding:.05rem .5rem;'
        'border-radius:999px;font-size:.8rem;white-space:nowrap" title="{}">{}</span>',
        info.colour,
        status,
        info.label,
    )


@register.filter
def phone(e164: str, full: bool) -> str:
    """`{{ message.to|phone:full_phone }}`, full_phone from `masking.can_view_full_phone`."""
    return e164 if full else phone_mask(e164)


@register.filter
def duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


@register.filter
def outcome_label(outcome: str) -> str:
    return OUTCOME_LABELS.get(outcome, outcome)
