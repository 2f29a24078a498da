from typing import Any

from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response

from ..campaigns import campaign_delete
from ..filters import CampaignFilter, MessageFilter
from ..masking import full_phone_view_record
from ..models import Campaign, Message
from ..registration import messages_register
from .common import (
    LOOKUP_ANY,
    LimitOffsetPagination400,
    MessageCursorPagination,
    StrictOrderingFilter,
)
from .permissions import CampaignPermission, MessagePermission
from .schema import (
    CAMPAIGN_EXAMPLES,
    ERRORS_READ,
    ERRORS_WRITE,
    EVENT_EXAMPLES,
    MESSAGE_EXAMPLES,
    MESSAGE_LIST_EXAMPLES,
    REGISTRATION_EXAMPLES,
    REGISTRATION_RESPONSE_DOC,
    one_or_many,
)
from .serializers import (
    MAX_REGISTRATION_BATCH,
    CampaignSerializer,
    MessageRegistrationSerializer,
    MessageSerializer,
    StatusEventSerializer,
    registration_serializer,
)

REGISTRATION_BODY = one_or_many(
    "MessageRegistrationBody", MessageRegistrationSerializer, max_length=MAX_REGISTRATION_BATCH
)
REGISTRATION_RESULT = one_or_many("MessageRegistrationResult", MessageSerializer)


@extend_schema_view(
    list=extend_schema(
        summary="List messages",
        description="Newest first; cursor-paginated. Filter by any combination below.",
        responses={200: MessageSerializer(many=True), **ERRORS_READ},
        examples=MESSAGE_LIST_EXAMPLES,
    ),
    retrieve=extend_schema(
        summary="One message",
        responses={200: MessageSerializer, **ERRORS_READ},
        examples=MESSAGE_EXAMPLES,
    ),
)
class MessageViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = Message.objects.all()
    serializer_class = MessageSerializer
    lookup_value_regex = LOOKUP_ANY
    filterset_class = MessageFilter
    filter_backends = [DjangoFilterBackend, StrictOrderingFilter]
    ordering_fields = ["created_at", "updated_at", "id"]
    pagination_class = MessageCursorPagination
    permission_classes = [MessagePermission]
    parser_classes = [JSONParser]

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().list(request, *args, **kwargs)
        full_phone_view_record(
            request=request,
            surface="api message list",
            count=len(response.data["results"]),
            target=Message,
        )
        return response

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        message = self.get_object()
        full_phone_view_record(request=request, surface="api message", target=message)
        return Response(self.get_serializer(message).data)

    @extend_schema(
        summary="Register outgoing messages",
        description=REGISTRATION_RESPONSE_DOC,
        request=REGISTRATION_BODY,
        responses={
            201: OpenApiResponse(REGISTRATION_RESULT, "At least one message was registered."),
            200: OpenApiResponse(REGISTRATION_RESULT, "All were registered before: unchanged."),
            **ERRORS_WRITE,
        },
        examples=REGISTRATION_EXAMPLES,
    )
    def create(self, request: Request) -> Response:
        many = isinstance(request.data, list)
        serializer = registration_serializer(request.data)
        if not serializer.is_valid():
            raise ValidationError(_errors_by_index(serializer.errors))
        rows = serializer.validated_data if many else [serializer.validated_data]
        results = messages_register(rows=rows)
        output = MessageSerializer(
            [message for message, _ in results], many=True, context={"request": request}
        ).data
        created = any(registered for _, registered in results)
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(output if many else output[0], status=code)

    @extend_schema(
        summary="A message's status history",
        description="Every distinct report, oldest first, including those that arrived "
        "out of order (see `outcome`); a report delivered twice is listed once.",
        responses={200: StatusEventSerializer(many=True), **ERRORS_READ},
        examples=EVENT_EXAMPLES,
        filters=False,
    )
    @action(detail=True, filterset_class=None, pagination_class=None)
    def events(self, request: Request, pk: str | None = None) -> Response:
        events: QuerySet = self.get_object().events.order_by("received_at", "id")
        return Response(StatusEventSerializer(events, many=True).data)


def _errors_by_index(errors: object) -> Any:
    """DRF lists one (mostly empty) error dict per row; keep only the rows in error."""
    if isinstance(errors, list):
        return {str(index): error for index, error in enumerate(errors) if error}
    return errors


@extend_schema_view(
    list=extend_schema(
        summary="List campaigns", responses={200: CampaignSerializer(many=True), **ERRORS_READ}
    ),
    retrieve=extend_schema(
        summary="One campaign", responses={200: CampaignSerializer, **ERRORS_READ}
    ),
    create=extend_schema(
        summary="Create a campaign",
        responses={201: CampaignSerializer, **ERRORS_WRITE},
        examples=CAMPAIGN_EXAMPLES,
    ),
    update=extend_schema(
        summary="Replace a campaign", responses={200: CampaignSerializer, **ERRORS_WRITE}
    ),
    partial_update=extend_schema(
        summary="Change a campaign", responses={200: CampaignSerializer, **ERRORS_WRITE}
    ),
    destroy=extend_schema(
        summary="Delete a campaign (its messages stay, unlinked)",
        responses={204: None, **ERRORS_WRITE},
    ),
)
class CampaignViewSet(viewsets.ModelViewSet):
    queryset = Campaign.objects.order_by("name", "id")
    serializer_class = CampaignSerializer
    lookup_value_regex = LOOKUP_ANY
    filterset_class = CampaignFilter
    permission_classes = [CampaignPermission]
    pagination_class = LimitOffsetPagination400

    def perform_destroy(self, instance: Campaign) -> None:
        campaign_delete(campaign=instance)
