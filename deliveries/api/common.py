"""Pagination, ordering and throttling shared by the API's viewsets.

DRF quietly clamps oversized pages and ignores unknown ordering fields; an API consumer
then gets something other than what it asked for without knowing. Here both are a 400.
"""

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import APIException, NotFound, ValidationError
from rest_framework.filters import OrderingFilter
from rest_framework.pagination import Cursor, CursorPagination, LimitOffsetPagination
from rest_framework.request import Request
from rest_framework.throttling import UserRateThrottle

from ..paginators import bounded_count

if TYPE_CHECKING:  # rest_framework.views imports the throttle classes from settings
    from rest_framework.views import APIView

MAX_PAGE_SIZE = 500
# Route any path segment to the viewset, so "/messages/1.5/" is the API's JSON 404 rather
# than Django's HTML one (DRF's default stops at a dot).
LOOKUP_ANY = "[^/]+"


def _page_size(request: Request, param: str, default: int) -> int:
    raw = request.query_params.get(param)
    if raw is None:
        return default
    try:
        size = int(raw)
    except ValueError:
        raise ValidationError({param: ["A whole number is required."]}) from None
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise ValidationError({param: [f"Must be between 1 and {MAX_PAGE_SIZE}."]})
    return size


class MessageCursorPagination(CursorPagination):
    """Cursor pages stay stable while reports keep arriving (offsets would shift)."""

    ordering = "-created_at"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def get_page_size(self, request: Request) -> int:
        return _page_size(request, "page_size", self.page_size)

    def paginate_queryset(
        self, queryset: QuerySet, request: Request, view: "APIView | None" = None
    ) -> list | None:
        self.model = queryset.model
        return super().paginate_queryset(queryset, request, view)

    def decode_cursor(self, request: Request) -> Cursor | None:
        try:
            cursor = super().decode_cursor(request)
        except NotFound:  # DRF answers 404 for a bad cursor; it is a bad parameter
            raise ValidationError({"cursor": ["Invalid cursor."]}) from None
        if cursor is not None and cursor.position is not None:
            # The position goes straight into a WHERE clause: a tampered one must be a
            # value of the ordering field, or the query fails with a 500.
            field = self.model._meta.get_field(self.ordering[0].lstrip("-"))
            try:
                field.to_python(cursor.position)
            except DjangoValidationError:
                raise ValidationError({"cursor": ["Invalid cursor."]}) from None
        return cursor


class LimitOffsetPagination400(LimitOffsetPagination):
    """`count` is exact up to a thousand and estimated past it: DRF's COUNT(*) read the
    whole webhook log on every page (`deliveries.paginators`)."""

    default_limit = 50
    max_limit = MAX_PAGE_SIZE

    def get_count(self, queryset: "QuerySet[Any, Any] | Sequence[Any]") -> int:
        if isinstance(queryset, QuerySet):
            return bounded_count(queryset)
        return len(queryset)

    def get_limit(self, request: Request) -> int:
        return _page_size(request, "limit", self.default_limit)

    def get_offset(self, request: Request) -> int:
        raw = request.query_params.get("offset", "0")
        try:
            offset = int(raw)
        except ValueError:
            offset = -1
        if not 0 <= offset <= 10**9:
            raise ValidationError({"offset": ["A whole number from 0 to 10⁹ is required."]})
        return offset


class StrictOrderingFilter(OrderingFilter):
    """`?ordering=` on the view's whitelist only; anything else is a 400."""

    def get_ordering(self, request: Request, queryset: QuerySet, view: "APIView") -> Any:
        params = request.query_params.get(self.ordering_param)
        if params:
            allowed = {name for name, _ in self.get_valid_fields(queryset, view)}
            terms = [term.strip() for term in params.split(",") if term.strip()]
            unknown = [term for term in terms if term.lstrip("-") not in allowed]
            if unknown or not terms:
                raise ValidationError(
                    {self.ordering_param: [f"Order by one of: {', '.join(sorted(allowed))}."]}
                )
        return super().get_ordering(request, queryset, view)


class Conflict(APIException):
    """The request is sound but the resource's state refuses it now (409); `detail` says
    what to do instead."""

    status_code = 409
    default_detail = "The resource's current state does not allow this."
    default_code = "conflict"


class TokenRateThrottle(UserRateThrottle):
    """Token clients (other services) are rate-limited; people in a browser are not."""

    scope = "token"

    def allow_request(self, request: Request, view: "APIView") -> bool:
        if not isinstance(request.auth, Token):
            return True
        return super().allow_request(request, view)
