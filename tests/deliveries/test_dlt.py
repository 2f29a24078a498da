from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from deliveries.dlt import CAUSES, dlt_failures
from deliveries.error_codes import error_code_meaning
from deliveries.models import Message
from deliveries.slices import Slice

from ..factories import make_user
from .traffic import traffic_apply

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 20, 12, 30, tzinfo=UTC)
WEEK: dict[str, Any] = {"since": NOW - timedelta(days=7), "until": NOW}


def _failed(code: str, *, template: str = "", sender: str = "", days_ago: float = 1, **kw):
    return Message.objects.create(
        provider=kw.pop("provider", "smstake"),
        message_id=f"m{Message.objects.count()}",
        status=kw.pop("status", "rejected"),
        error_code=code,
        dlt_template_id=template,
        sender=sender,
        submitted_at=NOW - timedelta(days=days_ago),
        **kw,
    )


def test_failures_are_grouped_by_dlt_cause_template_and_sender():
    _failed("DLT_TEMPLATE_MISMATCH", template="1207161", sender="ACMEBK")
    _failed("DLT_TEMPLATE_MISMATCH", template="1207161", sender="ACMEBK")
    _failed("DLT_TEMPLATE_INACTIVE", template="1207162", sender="ACMEBK")
    _failed("DLT_HEADER_INACTIVE", template="1207163", sender="ACMEOT")
    _failed("DND", status="failed", sender="ACMEPR")

    drill = dlt_failures(slice=Slice(**WEEK))

    causes = {row.key: row.messages for row in drill.by_cause}
    assert causes == {"entity": 0, "header": 1, "template": 3, "consent": 0, "dnd": 1}
    assert [(r.key, r.messages) for r in drill.by_template] == [
        ("1207161", 2),
        ("", 1),
        ("1207162", 1),
        ("1207163", 1),
    ]
    assert drill.by_template[1].label == "(not reported)"
    assert [(r.key, r.messages) for r in drill.by_sender] == [
        ("ACMEBK", 3),
        ("ACMEOT", 1),
        ("ACMEPR", 1),
    ]
    assert drill.by_sender[0].codes == {
        "smstake:DLT_TEMPLATE_MISMATCH": 2,
        "smstake:DLT_TEMPLATE_INACTIVE": 1,
    }
    assert drill.total == 5


def test_each_code_carries_its_meaning_from_the_catalog():
    _failed("DLT_CONSENT_NOT_FOUND", template="1207161")

    (code,) = dlt_failures(slice=Slice(**WEEK)).by_code

    assert code.cause == "consent"
    expected = error_code_meaning(provider="smstake", code="DLT_CONSENT_NOT_FOUND")
    assert expected and code.meaning == expected.meaning


def test_non_dlt_failures_deliveries_and_other_windows_are_left_out():
    _failed("001", status="undelivered")  # absent subscriber: not a registration problem
    _failed("DLT_TEMPLATE_MISMATCH", days_ago=9)  # before the window
    _failed("", status="failed")
    Message.objects.create(provider="smstake", message_id="ok", status="delivered")

    assert dlt_failures(slice=Slice(**WEEK)).total == 0


def test_the_trend_counts_failures_per_submission_day():
    _failed("DLT_TEMPLATE_MISMATCH", days_ago=0.1)
    _failed("DLT_TEMPLATE_MISMATCH", days_ago=2)
    _failed("DLT_TEMPLATE_MISMATCH", days_ago=2)

    drill = dlt_failures(slice=Slice(**WEEK))

    template = next(r for r in drill.by_cause if r.key == "template")
    assert len(template.trend) == len(drill.days) == 8
    assert template.trend[-1] == 1
    assert template.trend[drill.days.index((NOW - timedelta(days=2)).date())] == 2
    assert sum(template.trend) == 3


def test_the_drill_down_equals_direct_counts_on_simulated_traffic():
    traffic_apply(messages=400, seed=5, now=NOW)

    # Wavix reports carry no submission time: those messages count from their creation.
    drill = dlt_failures(
        slice=Slice(since=NOW - timedelta(days=4), until=timezone.now() + timedelta(hours=1))
    )

    dlt_codes = [
        m
        for m in Message.objects.exclude(error_code="").values("provider", "error_code", "status")
        if (meaning := error_code_meaning(provider=m["provider"], code=m["error_code"]))
        and meaning.category in CAUSES
        and m["status"] not in ("delivered", "read")
    ]
    assert drill.total == len(dlt_codes) > 0
    assert sum(r.messages for r in drill.by_cause) == drill.total
    for code in drill.by_code:
        assert code.messages == sum(
            1 for m in dlt_codes if (m["provider"], m["error_code"]) == (code.provider, code.code)
        )


def test_filters_narrow_the_drill_down_to_a_provider_and_operator():
    _failed("DLT_TEMPLATE_MISMATCH", operator="AIRTEL")
    _failed("DLT_TEMPLATE_MISMATCH", operator="JIO")
    _failed("DLT_TEMPLATE_MISMATCH", operator="AIRTEL", provider="infobip")

    assert dlt_failures(slice=Slice(**WEEK, operator="airtel")).total == 2
    assert dlt_failures(slice=Slice(**WEEK, operator="AIRTEL", provider="infobip")).total == 1


def test_a_window_longer_than_92_days_is_refused():
    with pytest.raises(ValueError):
        dlt_failures(slice=Slice(since=NOW - timedelta(days=93), until=NOW))


def test_the_dlt_page_lists_causes_codes_templates_and_senders(client):

    _failed("DLT_TEMPLATE_MISMATCH", template="1207161", sender="ACMEBK", days_ago=0.1)
    _failed("DLT_TEMPLATE_MISMATCH", template="1207161", sender="ACMEBK", days_ago=0.1)
    Message.objects.update(submitted_at=timezone.now() - timedelta(hours=2))
    client.force_login(make_user("Campaign manager", username="manager"))

    response = client.get("/dlt/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "1207161" in page and "ACMEBK" in page
    assert "the content does not match the registered template" in page
    assert client.get("/dlt/", {"range": "custom", "since": "x"}).status_code == 200


def test_the_dlt_page_cuts_a_long_range_to_92_days(client):
    client.force_login(make_user(superuser=True))

    response = client.get("/dlt/", {"range": "custom", "since": "2026-06-01T00:00"})

    assert response.status_code == 200
    assert "cut to the last 92 days" in response.content.decode()
