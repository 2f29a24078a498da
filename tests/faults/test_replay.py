"""A captured, correctly signed request replayed an hour and 71 hours later.

Neither SMSTAKE nor Wavix puts a timestamp under its signature, so a replay cannot be
told from a provider's late retry: it is accepted (2xx, logged) and deduplicated, so the
message keeps one event. This is why deduplication keys must outlive the longest
provider retry window (72 h).
"""

from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from deliveries.models import Message, StatusEvent
from webhooks.models import InboundEvent

from ..helpers import fixture_bytes

pytestmark = [pytest.mark.faults, pytest.mark.django_db]

LATER = [timedelta(hours=1), timedelta(hours=71)]


def test_a_replayed_smstake_request_is_accepted_and_still_one_event(post_smstake) -> None:
    body = fixture_bytes("smstake", "delivered.json")
    assert post_smstake(body).status_code == 200
    first = Message.objects.get()

    for later in LATER:
        with mock.patch("django.utils.timezone.now", return_value=timezone.now() + later):
            assert post_smstake(body).status_code == 200

    outcomes = list(InboundEvent.objects.order_by("pk").values_list("outcome", flat=True))
    assert outcomes == ["applied", "duplicate", "duplicate"]
    assert StatusEvent.objects.count() == 1
    message = Message.objects.get()
    assert (message.status, message.status_changed_at) == ("delivered", first.status_changed_at)


def test_a_replayed_wavix_request_is_accepted_and_still_one_event(post_wavix) -> None:
    body = fixture_bytes("wavix", "delivered.json")
    assert post_wavix(body).status_code == 200

    for later in LATER:
        with mock.patch("django.utils.timezone.now", return_value=timezone.now() + later):
            assert post_wavix(body).status_code == 200

    assert InboundEvent.objects.filter(outcome="duplicate").count() == len(LATER)
    assert StatusEvent.objects.count() == 1
    assert Message.objects.get().status == "delivered"
