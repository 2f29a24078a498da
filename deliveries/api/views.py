from django.db.models import QuerySet
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from ..filters import MessageFilter
from ..models import Message
from .serializers import MessageSerializer, StatusEventSerializer


class MessageViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Message.objects.order_by("-created_at", "-id")
    serializer_class = MessageSerializer
    filterset_class = MessageFilter

    @action(detail=True, serializer_class=StatusEventSerializer, filterset_class=None)
    def events(self, request: Request, pk: str | None = None) -> Response:
        events: QuerySet = self.get_object().events.order_by("received_at", "id")
        return Response(StatusEventSerializer(events, many=True).data)
