"""Message trace: one search box for support staff, and the page of one message."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.module_loading import import_string

from .. import status as st
from ..masking import can_view_full_phone, full_phone_view_record
from ..models import Message
from ..pending import OutsideFacts, message_pending_explain
from ..roles import can_trace_messages
from ..selectors import TRACE_LIMIT, message_search, message_trace
from ..status import STATUS_TABLE


def _trace_allowed(request: HttpRequest) -> None:
    if can_trace_messages(request.user):
        return
    raise PermissionDenied("Tracing messages is for Support and Administrators.")


@login_required
def trace_search(request: HttpRequest) -> HttpResponse:
    _trace_allowed(request)
    query = request.GET.get("q", "").strip()[:200]
    messages = message_search(query=query) if query else []
    if len(messages) == 1:
        return redirect("deliveries:trace-message", pk=messages[0].pk)
    full_phone_view_record(
        request=request, surface="trace search", count=len(messages), target=Message
    )
    return render(
        request,
        "deliveries/trace.html",
        {
            "query": query,
            "messages": messages,
            "truncated": len(messages) >= TRACE_LIMIT,
            "full_phone": can_view_full_phone(request.user),
        },
    )


@login_required
def trace_message(request: HttpRequest, pk: int) -> HttpResponse:
    _trace_allowed(request)
    trace = message_trace(message_id=pk)
    if trace is None:
        raise Http404("No such message")
    full_phone_view_record(request=request, surface="trace", target=trace.message)
    return render(
        request,
        "deliveries/trace_message.html",
        {
            "trace": trace,
            "message": trace.message,
            "query": request.GET.get("q", ""),
            "full_phone": can_view_full_phone(request.user),
            "can_view_log": request.user.has_perm("webhooks.view_inboundevent"),
            "statuses": STATUS_TABLE,
            "pending": message_pending_explain(
                message=trace.message, now=timezone.now(), facts=_outside_facts(trace.message)
            ),
        },
    )


def _outside_facts(message: Message) -> OutsideFacts | None:
    """Endpoint health and forwarding deadlines, read by the app settings name: webhooks
    depends on deliveries, so deliveries never imports it."""
    path = getattr(settings, "MESSAGE_PENDING_FACTS", "")
    if not path or st.is_final(message.status):
        return None
    facts: OutsideFacts = import_string(path)(message)
    return facts
