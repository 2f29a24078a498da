"""Deleting a campaign unlinks its messages and moves their rollup counts to "no campaign"."""

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import IntegrityError, connection

from deliveries import campaigns, rollup_rebuild, rollups
from deliveries.campaigns import campaign_delete
from deliveries.models import Campaign, DeliveryRollup, DeliveryRollupDaily, Message
from deliveries.reports import DeliveryReport
from deliveries.services import reports_apply
from deliveries.status import Status

from ..helpers import requires_postgres

T0 = datetime(2026, 11, 20, 10, 17, tzinfo=UTC)


def report(message_id: str, status: str, client_ref: str) -> DeliveryReport:
    return DeliveryReport(
        provider="smstake",
        message_id=message_id,
        status=Status(status),
        provider_status=status.upper(),
        channel="sms",
        operator="JIO",
        client_ref=client_ref,
        submitted_at=T0,
        event_time=T0 + timedelta(seconds=4),
    )


def cells() -> list[tuple[Any, ...]]:
    """Non-empty cells of both tiers, key and sums: (tier, bucket, campaign, …, messages, …)."""
    found: list[tuple[Any, ...]] = []
    for model in (DeliveryRollup, DeliveryRollupDaily):
        columns = [f.column for f in model._meta.fields if f.column != "id"]
        rows = model.objects.exclude(messages=0, call_seconds=0).values_list(*columns)
        found += [(model.__name__, *row) for row in rows]
    return sorted(found, key=repr)


@pytest.mark.django_db
def test_the_campaigns_counts_join_those_without_a_campaign():
    Campaign.objects.create(name="OTP", ref_prefix="otp_")
    reports_apply(items=[(report("a", "delivered", "otp_1"), None)])
    reports_apply(items=[(report("b", "delivered", "none"), None)])
    campaign = Campaign.objects.get()

    unlinked = campaign_delete(campaign=campaign)

    assert unlinked == 1
    [cell] = DeliveryRollup.objects.exclude(messages=0)
    assert (cell.campaign_id, cell.status, cell.messages) == (0, "delivered", 2)
    assert Message.objects.filter(campaign__isnull=True).count() == 2


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_a_message_linked_to_the_campaign_during_the_delete_is_unlinked_too(monkeypatch):
    """A worker applies (and commits) a report for the campaign after the delete unlinked
    the messages it saw: that message is unlinked too, and its counts move."""
    Campaign.objects.create(name="OTP", ref_prefix="otp_")
    reports_apply(items=[(report("a", "delivered", "otp_1"), None)])
    campaign = Campaign.objects.get()
    clear = rollups.rollups_campaign_clear
    calls: list[Any] = []

    def worker() -> None:
        try:
            reports_apply(items=[(report("late", "sent", "otp_2"), None)])
        finally:
            connection.close()

    def clear_after_a_worker_applied(*, campaign_id: int) -> None:
        if not calls:
            thread = threading.Thread(target=worker)
            thread.start()
            thread.join(timeout=30)
        calls.append(campaign_id)
        clear(campaign_id=campaign_id)

    monkeypatch.setattr(campaigns, "rollups_campaign_clear", clear_after_a_worker_applied)

    pk = campaign.pk
    campaign_delete(campaign=campaign)
    after = cells()
    rollup_rebuild.rollups_rebuild()

    assert calls == [pk]
    assert not Campaign.objects.exists()
    assert Message.objects.filter(campaign__isnull=False).count() == 0
    assert after == cells()
    assert not DeliveryRollup.objects.exclude(campaign_id=0).exists()
    assert not DeliveryRollupDaily.objects.exclude(campaign_id=0).exists()


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_a_foreign_key_failure_at_the_end_rolls_back_and_starts_again(monkeypatch):
    """What a message linked between the last unlink and the delete would cause."""
    Campaign.objects.create(name="OTP", ref_prefix="otp_")
    reports_apply(items=[(report("a", "delivered", "otp_1"), None)])
    campaign = Campaign.objects.get()
    check = connection.check_constraints
    failures = [IntegrityError("message_campaign_id_fk violated")]

    def check_failing_once(*args: object, **kwargs: object) -> None:
        if failures:
            raise failures.pop()
        check(*args, **kwargs)

    monkeypatch.setattr(connection, "check_constraints", check_failing_once)

    assert campaign_delete(campaign=campaign) == 1
    assert not failures
    assert not Campaign.objects.exists()
    assert not DeliveryRollup.objects.exclude(campaign_id=0).exists()
    assert not DeliveryRollupDaily.objects.exclude(campaign_id=0).exists()
