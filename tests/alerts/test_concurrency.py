"""Evaluators that overlap (a slow beat run and the next one) still open one alert."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from alerts.models import Alert, AlertRule
from alerts.services import rule_evaluate
from deliveries.rollup_rebuild import rollups_rebuild
from tests.helpers import requires_postgres

from .conftest import messages_make


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_evaluators_at_once_fire_one_alert() -> None:
    now = timezone.now().replace(minute=50)
    for hours_ago in range(2, 26, 2):
        messages_make(50, at=now - timedelta(hours=hours_ago), delivered_share=0.96)
    messages_make(200, at=now - timedelta(minutes=10), delivered_share=0.6)
    rollups_rebuild()
    rule = AlertRule.objects.create(name="r", provider="infobip", operator="AIRTEL")
    start = threading.Barrier(2)
    results: list[bool] = []

    def evaluate() -> None:
        try:
            start.wait()
            results.append(rule_evaluate(rule=rule, now=now))
        finally:
            connection.close()

    threads = [threading.Thread(target=evaluate) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results) == [False, True]
    assert Alert.objects.filter(rule=rule).count() == 1


@pytest.mark.django_db
def test_evaluating_a_rule_costs_the_same_few_queries_whatever_the_volume(
    django_assert_max_num_queries,
) -> None:
    now = timezone.now().replace(minute=50)
    for hours_ago in range(2, 26, 2):
        messages_make(100, at=now - timedelta(hours=hours_ago), delivered_share=0.96)
    messages_make(500, at=now - timedelta(minutes=10), delivered_share=0.95)
    rollups_rebuild()
    rule = AlertRule.objects.create(name="r", provider="infobip", operator="AIRTEL")

    # Open alert, window, baseline, and the locked re-check (plus savepoint statements).
    with django_assert_max_num_queries(7):
        rule_evaluate(rule=rule, now=now)
