"""Delivery statistics over the API: `stats/` and `campaigns/<id>/stats/`.

Thin views over `deliveries.analytics.delivery_stats`; figures mean exactly what they mean
on the dashboard (see that module's docstring).
"""

from datetime import UTC, datetime, timedelta
from typing import Any

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from billing.selectors import spend_totals

from ..analytics import GROUP_BY_CHOICES, DeliveryStats, delivery_stats
from ..filters import MAX_ID
from ..models import Campaign
from ..reports import CHANNEL_CHOICES
from ..roles import can_view_costs
from ..slices import Slice
from .conversion import ConversionStatsSerializer, conversion_data
from .permissions import DashboardPermission
from .schema import ERRORS_READ

EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)
DEFAULT_RANGE = timedelta(hours=24)
MAX_RANGE = timedelta(days=400)
MAX_HOURLY_RANGE = timedelta(days=31)


def query_range(
    attrs: dict[str, Any], *, max_range: timedelta = MAX_RANGE
) -> tuple[datetime, datetime]:
    """`since`/`until` of a statistics query, defaulted and checked (400 when off)."""
    for name in ("since", "until"):
        # Year 1 or 9999 would overflow the hour rounding and the default range below.
        if attrs.get(name) and not EARLIEST <= attrs[name] <= LATEST:
            raise serializers.ValidationError({name: "must be between 1970 and 9000"})
    until: datetime = attrs.get("until") or timezone.now()
    since: datetime = attrs.get("since") or until - DEFAULT_RANGE
    if since >= until:
        raise serializers.ValidationError({"since": "must be before until"})
    if until - since > max_range:
        raise serializers.ValidationError(
            {"since": f"the range is limited to {max_range.days} days"}
        )
    return since, until


class CampaignStatsQuerySerializer(serializers.Serializer):
    since = serializers.DateTimeField(
        required=False, help_text="ISO 8601; default: 24 hours before `until`."
    )
    until = serializers.DateTimeField(required=False, help_text="ISO 8601; default: now.")
    provider = serializers.CharField(required=False, max_length=40)
    channel = serializers.ChoiceField(required=False, choices=CHANNEL_CHOICES)
    operator = serializers.CharField(required=False, max_length=64)
    group_by = serializers.ChoiceField(required=False, choices=GROUP_BY_CHOICES)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        since, until = query_range(attrs)
        if attrs.get("group_by") == "hour" and until - since > MAX_HOURLY_RANGE:
            raise serializers.ValidationError(
                {"group_by": "hourly series are limited to 31 days; use group_by=day"}
            )
        return {**attrs, "since": since, "until": until}


class StatsQuerySerializer(CampaignStatsQuerySerializer):
    campaign = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)


class FiguresSerializer(serializers.Serializer):
    sent = serializers.IntegerField()
    delivered = serializers.IntegerField()
    failed = serializers.IntegerField()
    failed_by_kind = serializers.DictField(child=serializers.IntegerField())
    pending = serializers.IntegerField()
    no_dlr = serializers.IntegerField(help_text="Pending past the channel's validity window.")
    by_status = serializers.DictField(child=serializers.IntegerField())
    delivery_rate = serializers.FloatField(allow_null=True)
    dlr_coverage = serializers.FloatField(allow_null=True)
    latency_p50 = serializers.FloatField(allow_null=True, help_text="Seconds, submit → delivered.")
    latency_p90 = serializers.FloatField(allow_null=True)
    latency_p95 = serializers.FloatField(allow_null=True)
    latency_p99 = serializers.FloatField(allow_null=True)
    read_rate = serializers.FloatField(allow_null=True, help_text="WhatsApp and RCS.")
    answer_rate = serializers.FloatField(allow_null=True, help_text="Voice.")
    average_call_seconds = serializers.FloatField(allow_null=True, help_text="Answered calls.")


class GroupSerializer(serializers.Serializer):
    key = serializers.CharField()
    # Shadows Field.label in the stubs; the serializer's metaclass takes it off the class.
    label = serializers.CharField()  # type: ignore[assignment]
    figures = FiguresSerializer()


class SpendSerializer(serializers.Serializer):
    currency = serializers.CharField(help_text="ISO 4217; currencies are never added together.")
    amount = serializers.DecimalField(max_digits=20, decimal_places=6)
    delivered_cost_per_message = serializers.DecimalField(
        max_digits=20, decimal_places=6, allow_null=True
    )
    undelivered_amount = serializers.DecimalField(
        max_digits=20,
        decimal_places=6,
        help_text="Spent on messages never delivered: failed, rejected, expired, undelivered "
        "and no DLR past the validity window.",
    )


class StatsSerializer(serializers.Serializer):
    since = serializers.DateTimeField()
    until = serializers.DateTimeField()
    group_by = serializers.CharField(allow_null=True)
    totals = FiguresSerializer()
    groups = GroupSerializer(many=True)
    conversion = ConversionStatsSerializer(
        help_text="Conversion figures, grouped the same way (no error_code groups)."
    )

    spend = SpendSerializer(
        many=True,
        required=False,
        help_text="Per currency; left out for users who may not see costs.",
    )


def _stats(request: Request, query: dict[str, Any], **fixed: Any) -> dict[str, Any]:
    slice = Slice.from_query(query, **fixed)
    group_by = query.get("group_by")
    stats: DeliveryStats = delivery_stats(slice=slice, group_by=group_by)
    answer = {name: getattr(stats, name) for name in ("since", "until", "group_by", "totals")}
    answer["groups"] = stats.groups
    answer["conversion"] = conversion_data(slice=slice, group_by=group_by)
    data = StatsSerializer(answer).data
    if can_view_costs(request.user):
        data["spend"] = SpendSerializer(spend_totals(slice=slice).by_currency, many=True).data
    return dict(data)


class StatsView(APIView):
    permission_classes = [DashboardPermission]

    @extend_schema(
        parameters=[StatsQuerySerializer],
        responses={200: StatsSerializer, **ERRORS_READ},
        summary="Delivery statistics for a time range and slice",
    )
    def get(self, request: Request) -> Response:
        query = StatsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        return Response(_stats(request, query.validated_data))


class CampaignStatsView(APIView):
    permission_classes = [DashboardPermission]

    @extend_schema(
        parameters=[
            CampaignStatsQuerySerializer,
            OpenApiParameter("id", int, OpenApiParameter.PATH),
        ],
        responses={200: StatsSerializer, **ERRORS_READ},
        summary="Delivery statistics for one campaign",
    )
    def get(self, request: Request, pk: str) -> Response:
        # Any segment routes here, so "/campaigns/x/stats/" is the API's JSON 404 too.
        if not pk.isdigit():
            raise NotFound("No campaign with that id.")
        campaign = get_object_or_404(Campaign, pk=int(pk))
        query = CampaignStatsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        return Response(_stats(request, query.validated_data, campaign=campaign.pk))
