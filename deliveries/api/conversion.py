"""The conversion part of the `stats/` and `compare/` answers (`deliveries.conversion_stats`,
`deliveries.trust`): traffic with conversion feedback only."""

from typing import Any

from rest_framework import serializers

from ..conversion_stats import ConversionStats, conversion_stats
from ..slices import Slice
from ..trust import RouteTrust, routes_trust


class ConversionFiguresSerializer(serializers.Serializer):
    sent = serializers.IntegerField(help_text="Messages of traffic with conversion feedback.")
    delivered = serializers.IntegerField()
    converted = serializers.IntegerField()
    conversion_rate = serializers.FloatField(allow_null=True, help_text="converted ÷ sent")
    delivered_never_converted = serializers.FloatField(
        allow_null=True, help_text="Share of delivered messages no conversion followed."
    )
    time_to_convert_p50 = serializers.FloatField(
        allow_null=True, help_text="Seconds, submitted → converted."
    )
    time_to_convert_p90 = serializers.FloatField(allow_null=True)


class ConversionGroupSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    figures = ConversionFiguresSerializer()


class ConversionStatsSerializer(serializers.Serializer):
    tracked_campaigns = serializers.IntegerField(
        help_text="Campaigns (no campaign counts as one) that reported a conversion in the "
        "range: only their traffic is counted."
    )
    totals = ConversionFiguresSerializer()
    groups = ConversionGroupSerializer(many=True)


class RouteTrustSerializer(serializers.Serializer):
    provider = serializers.CharField()
    operator = serializers.CharField()
    channel = serializers.CharField()
    delivered = serializers.IntegerField()
    converted = serializers.IntegerField(help_text="Of the delivered.")
    rate = serializers.FloatField(allow_null=True)
    peer_delivered = serializers.IntegerField()
    peer_rate = serializers.FloatField(allow_null=True)
    gap_low = serializers.FloatField(
        allow_null=True, help_text="95 % interval of peers' rate − this route's (Newcombe)."
    )
    gap_high = serializers.FloatField(allow_null=True)
    judged = serializers.BooleanField(help_text="Enough volume on the route and its peers.")
    suspect = serializers.BooleanField()


def conversion_data(*, slice: Slice, group_by: str | None) -> dict[str, Any]:
    """What `ConversionStatsSerializer` takes, grouped by `group_by` (not by error code)."""
    names = [group_by] if group_by and group_by != "error_code" else []
    stats: ConversionStats = conversion_stats(slice=slice, group_bys=names)
    groups = stats.groups[names[0]] if names else []
    return {"tracked_campaigns": stats.tracked_campaigns, "totals": stats.totals, "groups": groups}


def trust_data(*, slice: Slice) -> list[RouteTrust]:
    return routes_trust(slice=slice)
