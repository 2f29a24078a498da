"""Provider comparison and DLT drill-down over the API: `compare/` and `dlt/`.

Thin views over `deliveries.comparison.providers_compare` and `deliveries.dlt.dlt_failures`;
the figures mean what they mean on the `/compare/` and `/dlt/` pages.
"""

from typing import Any

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import dlt
from ..comparison import BUCKETS, Comparison, providers_compare
from ..filters import MAX_ID
from ..reports import CHANNEL_CHOICES
from ..slices import Slice
from .conversion import ConversionStatsSerializer, RouteTrustSerializer, conversion_data, trust_data
from .permissions import DashboardPermission
from .schema import ERRORS_READ
from .stats import MAX_HOURLY_RANGE, MAX_RANGE, FiguresSerializer, query_range


class SliceQuerySerializer(serializers.Serializer):
    since = serializers.DateTimeField(
        required=False, help_text="ISO 8601; default: 24 hours before `until`."
    )
    until = serializers.DateTimeField(required=False, help_text="ISO 8601; default: now.")
    campaign = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    operator = serializers.CharField(required=False, max_length=64)

    max_range = MAX_RANGE

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        since, until = query_range(attrs, max_range=self.max_range)
        return {**attrs, "since": since, "until": until}


class CompareQuerySerializer(SliceQuerySerializer):
    channel = serializers.ChoiceField(required=False, choices=CHANNEL_CHOICES)
    bucket = serializers.ChoiceField(
        required=False,
        choices=BUCKETS,
        help_text="Series period; default: hour up to 48 hours, else day.",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        if attrs.get("bucket") == "hour" and attrs["until"] - attrs["since"] > MAX_HOURLY_RANGE:
            raise serializers.ValidationError(
                {"bucket": "hourly series are limited to 31 days; use bucket=day"}
            )
        return attrs


class SloSerializer(serializers.Serializer):
    delivered = serializers.IntegerField(help_text="Delivered messages with a known latency.")
    share = serializers.FloatField(
        allow_null=True, help_text="Share certainly within the target (lower bound)."
    )
    share_upper = serializers.FloatField(
        allow_null=True, help_text="Share possibly within it: the bucket holding the target."
    )
    objective = serializers.FloatField(
        allow_null=True, help_text="Share the targets ask for (volume-weighted over channels)."
    )
    meets = serializers.BooleanField(
        allow_null=True, help_text="null when the histogram cannot tell."
    )


class ErrorShareSerializer(serializers.Serializer):
    code = serializers.CharField()
    meaning = serializers.CharField()
    messages = serializers.IntegerField()
    share_of_failed = serializers.FloatField(allow_null=True)


class PeriodSerializer(serializers.Serializer):
    period = serializers.CharField()
    sent = serializers.IntegerField()
    delivered = serializers.IntegerField()
    failed = serializers.IntegerField()
    delivery_rate = serializers.FloatField(allow_null=True)


class ProviderColumnSerializer(serializers.Serializer):
    provider = serializers.CharField()
    figures = FiguresSerializer()
    slo = SloSerializer()
    top_errors = ErrorShareSerializer(many=True)
    series = PeriodSerializer(many=True)


class OperatorSloSerializer(serializers.Serializer):
    provider = serializers.CharField()
    operator = serializers.CharField()
    slo = SloSerializer()


class CompareSerializer(serializers.Serializer):
    since = serializers.DateTimeField()
    until = serializers.DateTimeField()
    bucket = serializers.CharField()
    latency_slo = serializers.DictField(
        child=serializers.ListField(child=serializers.FloatField()),
        help_text="Per channel: [seconds, share] from settings.LATENCY_SLO.",
    )
    providers = ProviderColumnSerializer(many=True)
    slo_by_operator = OperatorSloSerializer(many=True)
    conversion = ConversionStatsSerializer(help_text="Per provider; traffic with feedback only.")
    trust = RouteTrustSerializer(many=True, help_text="DLR trust per route, suspect first.")


def _compare_data(comparison: Comparison) -> dict[str, Any]:
    return {
        "since": comparison.since,
        "until": comparison.until,
        "bucket": comparison.bucket,
        "latency_slo": {k: list(v) for k, v in settings.LATENCY_SLO.items()},
        "providers": [
            {
                "provider": column.provider,
                "figures": column.figures,
                "slo": column.slo,
                "top_errors": column.top_errors,
                "series": [
                    {
                        "period": period.key,
                        "sent": f.sent,
                        "delivered": f.delivered,
                        "failed": f.failed,
                        "delivery_rate": f.delivery_rate,
                    }
                    for period, f in zip(comparison.periods, column.series, strict=True)
                ],
            }
            for column in comparison.providers
        ],
        "slo_by_operator": comparison.slo_by_operator,
    }


class CompareView(APIView):
    permission_classes = [DashboardPermission]

    @extend_schema(
        parameters=[CompareQuerySerializer],
        responses={200: CompareSerializer, **ERRORS_READ},
        summary="Providers side by side on one slice, with latency SLO shares",
    )
    def get(self, request: Request) -> Response:
        query = CompareQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        slice = Slice.from_query(data)
        comparison = providers_compare(slice=slice, bucket=data.get("bucket"))
        answer = _compare_data(comparison)
        answer["conversion"] = conversion_data(slice=slice, group_by="provider")
        answer["trust"] = trust_data(slice=slice)
        return Response(CompareSerializer(answer).data)


class DltQuerySerializer(SliceQuerySerializer):
    provider = serializers.CharField(required=False, max_length=40)

    max_range = dlt.MAX_RANGE


class DltRowSerializer(serializers.Serializer):
    key = serializers.CharField(allow_blank=True, help_text="Empty: not reported.")
    # Shadows Field.label in the stubs; the serializer's metaclass takes it off the class.
    label = serializers.CharField()  # type: ignore[assignment]
    messages = serializers.IntegerField()
    trend = serializers.ListField(child=serializers.IntegerField(), help_text="Per day.")
    codes = serializers.DictField(
        child=serializers.IntegerField(), help_text="provider:code → messages"
    )


class DltCodeSerializer(serializers.Serializer):
    provider = serializers.CharField()
    code = serializers.CharField()
    cause = serializers.ChoiceField(choices=list(dlt.CAUSES))
    meaning = serializers.CharField()
    messages = serializers.IntegerField()
    trend = serializers.ListField(child=serializers.IntegerField(), help_text="Per day.")


class DltSerializer(serializers.Serializer):
    since = serializers.DateTimeField()
    until = serializers.DateTimeField()
    days = serializers.ListField(child=serializers.DateField())
    total = serializers.IntegerField()
    by_cause = DltRowSerializer(many=True)
    by_code = DltCodeSerializer(many=True)
    by_template = DltRowSerializer(many=True)
    by_sender = DltRowSerializer(many=True)


class DltView(APIView):
    permission_classes = [DashboardPermission]

    @extend_schema(
        parameters=[DltQuerySerializer],
        responses={200: DltSerializer, **ERRORS_READ},
        summary="DLT failures by cause, code, template and sender, per day (India)",
    )
    def get(self, request: Request) -> Response:
        query = DltQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        drill = dlt.dlt_failures(slice=Slice.from_query(query.validated_data))
        return Response(DltSerializer(drill).data)
