"""Pagination, ordering and throttling shared by the API's viewsets.

DRF quietly clamps oversized pages and ignores unknown ordering fields; an API consumer
then gets something other than what it asked for without knowing. Here both are a 400.
"""

from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter
from rest_framework.pagination import Cursor, CursorPagination, LimitOffsetPagination
from rest_framework.request import Request
from rest_framework.throttling import UserRateThrottle

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

    def decode_cursor(self, request: Request) -> Cursor | None:
        try:
            return super().decode_cursor(request)
        except Exception:  # DRF answers 404 for a bad cursor; it is a bad parameter
            raise ValidationError({"cursor": ["Invalid cursor."]}) from None


class LimitOffsetPagination400(LimitOffsetPagination):
    default_limit = 50
    max_limit = MAX_PAGE_SIZE

    def get_limit(self, request: Request) -> int:
        return _page_size(request, "limit", self.default_limit)

    def get_offset(self, request: Request) -> int:
        raw = request.query_params.get("offset", "0")
        if not raw.isdigit() or int(raw) > 10**9:
            raise ValidationError({"offset": ["A whole number from 0 is required."]})
        return int(raw)


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


class TokenRateThrottle(UserRateThrottle):
    """Token clients (other services) are rate-limited; people in a browser are not."""

    scope = "token"

    def allow_request(self, request: Request, view: "APIView") -> bool:
        if not isinstance(request.auth, Token):
            return True
        return super().allow_request(request, view)
