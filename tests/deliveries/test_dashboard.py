"""The dashboard and campaign pages: figures equal the messages they describe."""

from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from deliveries import analytics
from deliveries import status as st
from deliveries.error_codes import error_code_meaning
from deliveries.figures import Figures
from deliveries.models import Campaign, DeliveryRollup, Message
from deliveries.rollup_reads import rollup_providers_operators
from deliveries.rollup_rebuild import rollups_rebuild
from deliveries.slices import Slice

from ..factories import make_user

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("params", "messages"),
    [
        ({}, Q()),
        ({"channel": "sms"}, Q(channel="sms")),
        ({"operator": "JIO"}, Q(operator__iexact="JIO")),
        ({"provider": "wavix"}, Q(provider="wavix")),
        ({"channel": "whatsapp", "operator": "AIRTEL"}, Q(channel="whatsapp", operator="AIRTEL")),
    ],
)
def test_dashboard_figures_equal_counts_of_messages(manager_client, traffic, params, messages):
    response = manager_client.get("/dashboard/", {"range": "7d", **params})

    assert response.status_code == 200
    totals = response.context["totals"]
    selected = Message.objects.filter(messages)
    assert totals.sent == selected.count() > 0
    assert totals.delivered == selected.filter(status__in=st.DELIVERED_STATUSES).count()
    assert totals.failed == selected.filter(status__in=st.FAILED_STATUSES).count()
    assert totals.pending == selected.filter(status__in=st.PENDING_STATUSES).count()
    assert totals.by_status.get("rejected", 0) == selected.filter(status="rejected").count()
    # The figure links to its messages.
    assert f'title="List these messages">{totals.sent:,}</a></p>' in response.content.decode()


def test_campaign_page_figures_equal_counts_of_its_messages(manager_client, traffic):
    promo = Campaign.objects.get(ref_prefix="promo_diwali_")

    response = manager_client.get(f"/campaigns/{promo.pk}/")

    assert response.status_code == 200
    totals = response.context["totals"]
    assert totals.sent == Message.objects.filter(campaign=promo).count() > 0
    assert totals.delivered == promo.messages.filter(status__in=st.DELIVERED_STATUSES).count()
    assert "Diwali promo" in response.content.decode()


def test_breakdowns_match_messages_per_operator_and_error_code(manager_client, traffic):
    response = manager_client.get("/dashboard/", {"range": "7d"})

    [operators] = [
        groups for name, _, groups in response.context["breakdowns"] if name == "operator"
    ]
    for group in operators:
        assert group.figures.sent == Message.objects.filter(operator=group.key).count()
    for error in response.context["errors"]:
        assert error.messages == Message.objects.filter(error_code=error.code).count()
        known = error_code_meaning(provider=error.provider, code=error.code)
        assert error.meaning == (known.meaning if known else None)


def test_campaign_list_shows_every_campaign_with_its_volume(manager_client, traffic):
    response = manager_client.get("/campaigns/")

    assert response.status_code == 200
    volumes = {row.campaign.ref_prefix: row.figures.sent for row, _ in response.context["rows"]}
    assert volumes == {c.ref_prefix: c.messages.count() for c in Campaign.objects.all()}
    for row, _ in response.context["rows"]:
        assert sum(row.trend) == row.figures.sent


@pytest.mark.parametrize("days", [1, 7])
def test_campaign_figures_equal_the_campaign_breakdown_without_latency(traffic, days):
    now = timezone.now()
    since = now - timedelta(days=days)

    rows = analytics.campaigns_overview(since=since, until=now, now=now)

    stats = analytics.delivery_stats(
        slice=Slice(since=since, until=now), group_by="campaign", now=now
    )
    by_id = {int(g.key): g.figures for g in stats.groups}
    for row in rows:
        expected = by_id.get(row.campaign.pk, Figures())
        expected.latency_histogram = {}  # the campaign list shows no latency
        assert row.figures == expected


def test_chart_data_and_the_no_script_numbers_are_in_the_page(manager_client, traffic):
    page = manager_client.get("/dashboard/", {"range": "24h"}).content.decode()

    assert 'id="series-chart"' in page
    assert 'id="series-data" type="application/json"' in page
    assert "vendor/chartjs/chart.umd.js" in page
    assert "Numbers per hour" in page


def test_bad_range_parameters_show_an_error_and_the_default_range(manager_client):
    response = manager_client.get("/dashboard/", {"range": "custom", "since": "soon"})

    assert response.status_code == 200
    assert response.context["slice"].preset == "24h"
    assert "Showing the default range instead" in response.content.decode()


@pytest.mark.parametrize("url", ["/dashboard/", "/campaigns/", "/dashboard/export/channel.csv"])
def test_pages_need_a_login(client, url):
    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


@pytest.mark.parametrize(
    ("group", "code"),
    [(None, 403), ("Support", 403), ("Campaign manager", 200), ("Administrator", 200)],
)
def test_only_campaign_managers_and_administrators_see_the_dashboard(client, group, code):
    client.force_login(make_user(group))

    assert client.get("/dashboard/").status_code == code


def test_dashboard_query_count_does_not_grow_with_messages(manager_client):
    def queries_with(messages: int) -> int:
        Message.objects.all().delete()
        messages_bulk_create(messages)
        rollups_rebuild()
        with CaptureQueriesContext(connection) as captured:
            response = manager_client.get("/dashboard/", {"range": "7d"})
        assert response.context["totals"].sent == messages
        assert response.context["stuck"]
        return len(captured)

    assert queries_with(100) == queries_with(2_000)


def messages_bulk_create(count: int, *, start: int = 0) -> None:
    now = timezone.now()
    statuses = ["delivered"] * 8 + ["failed", "sent", "rejected"]
    campaign = Campaign.objects.get_or_create(ref_prefix="bulk_", defaults={"name": "Bulk"})[0]
    # Spread over six days whatever the count, so both sizes have messages past their window.
    ages = [timedelta(minutes=i * 60 * 24 * 6 // count) for i in range(count)]
    batch = [
        Message(
            provider="smstake" if i % 7 else "wavix",
            message_id=f"bulk-{start + i}",
            channel="sms",
            to=f"+9198{start + i:08d}",
            to_raw=f"9198{start + i:08d}",
            status=statuses[i % len(statuses)],
            operator=["JIO", "AIRTEL", "VI", "BSNL"][i % 4],
            error_code="DND" if statuses[i % len(statuses)] == "failed" else "",
            client_ref=f"bulk_{i}",
            campaign=campaign,
            submitted_at=now - ages[i],
            delivered_at=now - ages[i] + timedelta(seconds=i % 30),
            status_changed_at=now,
        )
        for i in range(count)
    ]
    Message.objects.bulk_create(batch, batch_size=2000)


# --- what the dashboard reads ----------------------------------------------------------------


@pytest.mark.parametrize("params", [{}, {"range": "7d"}, {"range": "7d", "operator": "JIO"}])
def test_the_overview_query_gives_the_figures_of_one_breakdown_per_query(traffic, params):
    since = timezone.now() - (timedelta(days=7) if params else timedelta(hours=24))
    chosen = Slice(since=since, until=timezone.now(), operator=params.get("operator"))
    names = ["operator", "channel", "provider", "campaign", "error_code"]
    now = timezone.now()

    totals, groups = analytics.delivery_overview(slice=chosen, group_bys=names, now=now)

    for name in names:
        one = analytics.delivery_stats(slice=chosen, group_by=name, now=now)
        assert totals == one.totals
        assert [(g.key, g.label, g.figures) for g in groups[name]] == [
            (g.key, g.label, g.figures) for g in one.groups
        ]
    assert totals.sent > 0


def test_the_filter_choices_are_the_providers_and_operators_with_recent_cells(manager_client):
    now = timezone.now()
    for days, provider, operator in [
        (1, "wavix", "JIO"),
        (2, "wavix", "Jio"),  # a different spelling is its own choice, as before
        (1, "smstake", ""),
        (89, "smstake", "AIRTEL"),
        (91, "smstake", "VI"),  # too old
        (200, "infobip", "BSNL"),  # too old
    ]:
        DeliveryRollup.objects.create(
            bucket=now - timedelta(days=days),
            provider=provider,
            channel="sms",
            operator=operator,
            status="sent",
            messages=1,
        )

    pairs = rollup_providers_operators(since=now - timedelta(days=90))

    assert pairs == [("smstake", ""), ("smstake", "AIRTEL"), ("wavix", "JIO"), ("wavix", "Jio")]
    form = manager_client.get("/dashboard/").context["form"]
    assert [v for v, _ in form.fields["provider"].choices] == ["", "smstake", "wavix"]
    assert [v for v, _ in form.fields["operator"].choices] == ["", "AIRTEL", "JIO", "Jio"]


def test_the_dashboard_costs_a_fixed_number_of_queries(manager_client, traffic):
    with CaptureQueriesContext(connection) as captured:
        response = manager_client.get("/dashboard/", {"range": "7d"})

    assert response.status_code == 200
    # session, user, role; campaigns and the provider/operator choices of the form; the
    # series by day, and the hours of it that begin another day in India; every other
    # figure; campaign names; the no-DLR list, one query per channel
    # whose validity window ends inside the range (sms, mms, rcs, whatsapp, voice); the
    # user's and groups' permissions (may they see full phone numbers, and costs); the cost
    # card's one read of the spend rollup; the conversion figures (their histograms are a
    # second query where something converted).
    assert len(captured) == 18, "\n".join(q["sql"][:120] for q in captured)
