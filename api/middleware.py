from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from api.problems import error_response
from auth_methods.errors import PAYLOAD_TOO_LARGE


class BodyLimitMiddleware:
    """413 ``payload_too_large`` before a byte of an oversized body is read."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.limit: int = settings.MAX_BODY_BYTES

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > self.limit:
            detail = f"The body is {length} bytes; the limit is {self.limit}."
            return error_response(PAYLOAD_TOO_LARGE.with_detail(detail))
        return self.get_response(request)
