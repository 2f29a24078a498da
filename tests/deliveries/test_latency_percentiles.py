"""Latency percentiles read from the rollups' histogram against the exact ones of the
latencies behind it: interpolated inside a bucket, never further off than its width."""

import math
import random
from datetime import timedelta

import pytest
from django.utils import timezone

from deliveries import analytics
from deliveries.figures import Figures
from deliveries.latency import latency_bucket, latency_bucket_bounds
from deliveries.models import Message
from deliveries.rollups import MessageChange, counted_of, rollups_apply
from deliveries.slices import Slice

QUANTILES = (0.5, 0.9, 0.95, 0.99)


def exact(latencies: list[float], q: float) -> float:
    """The smallest latency with at least a share `q` of them at or under it."""
    ordered = sorted(latencies)
    return ordered[max(math.ceil(q * len(ordered)) - 1, 0)]


def histogram_of(latencies: list[float]) -> Figures:
    figures = Figures()
    for latency in latencies:
        bucket = latency_bucket(latency)
        figures.latency_histogram[bucket] = figures.latency_histogram.get(bucket, 0) + 1
    return figures


@pytest.mark.parametrize(
    ("name", "draw"),
    [
        ("lognormal around 7 s", lambda r: r.lognormvariate(math.log(7), 0.6)),
        ("uniform 5 s to 9 s", lambda r: r.uniform(5, 9)),
        ("sub-second", lambda r: r.uniform(0.05, 0.95)),
        ("two routes, fast and slow", lambda r: r.choice([r.uniform(2, 4), r.uniform(40, 90)])),
    ],
)
def test_percentiles_are_within_the_bucket_width_of_the_exact_ones(name, draw):
    rng = random.Random(name)
    latencies = [draw(rng) for _ in range(5000)]
    figures = histogram_of(latencies)

    for q in QUANTILES:
        truth = exact(latencies, q)
        low, high = latency_bucket_bounds(latency_bucket(truth))
        estimate = figures.latency_percentile(q)
        assert estimate is not None
        # Rounded to a tenth of a second for display.
        assert abs(estimate - truth) <= (high - low) + 0.05, (name, q, estimate, truth)


def test_percentiles_inside_one_bucket_differ_where_the_latencies_do():
    # Every latency lies in the [5.66 s, 8 s) bucket, whose middle (6.7 s) was all the
    # p50 column could say.
    rng = random.Random(3)
    latencies = [rng.uniform(5.7, 7.9) for _ in range(2000)]
    assert len({latency_bucket(x) for x in latencies}) == 1
    figures = histogram_of(latencies)

    p50, p90, p99 = (figures.latency_percentile(q) for q in (0.5, 0.9, 0.99))
    assert p50 is not None and p90 is not None and p99 is not None
    assert p50 < p90 < p99
    for q, estimate in ((0.5, p50), (0.9, p90), (0.99, p99)):
        assert abs(estimate - exact(latencies, q)) < 0.3


def test_an_empty_histogram_has_no_percentile():
    assert Figures().latency_p50 is None


@pytest.mark.django_db
def test_dashboard_percentiles_from_stored_messages_match_the_exact_ones():
    """Through the rollups the pages read: two operators whose latencies spread over the
    same few buckets read different medians, each close to its exact value (the buckets'
    middles gave both 6.7 s)."""
    now = timezone.now().replace(microsecond=0)
    submitted = now - timedelta(hours=2)
    rng = random.Random(7)
    latencies = {"JIO": [rng.lognormvariate(math.log(6.0), 0.3) for _ in range(400)]}
    latencies["AIRTEL"] = [rng.lognormvariate(math.log(7.5), 0.3) for _ in range(400)]
    messages = [
        Message(
            provider="smstake",
            message_id=f"{operator}-{i}",
            operator=operator,
            status="delivered",
            submitted_at=submitted,
            delivered_at=submitted + timedelta(seconds=latency),
            registered_at=submitted,
        )
        for operator, values in latencies.items()
        for i, latency in enumerate(values)
    ]
    Message.objects.bulk_create(messages)
    rollups_apply(MessageChange(None, counted_of(m)) for m in Message.objects.all())

    stats = analytics.delivery_stats(
        slice=Slice(since=now - timedelta(days=1), until=now), group_by="operator"
    )

    figures = {g.key: g.figures for g in stats.groups}
    jio, airtel = figures["JIO"].latency_p50, figures["AIRTEL"].latency_p50
    assert jio is not None and airtel is not None and jio < airtel
    for operator, values in latencies.items():
        for q in QUANTILES:
            truth = exact(values, q)
            low, high = latency_bucket_bounds(latency_bucket(truth))
            estimate = figures[operator].latency_percentile(q)
            assert estimate is not None and abs(estimate - truth) <= high - low
