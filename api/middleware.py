from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

from auth_methods.errors import ERROR_CODES


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
            spec = ERROR_CODES["payload_too_large"]
            body = {
                "type": "about:blank",
                "title": spec.title,
                "status": spec.status,
                "code": "payload_too_large",
                "detail": f"The body is {length} bytes; the limit is {self.limit}.",
            }
            return JsonResponse(body, status=413, content_type="application/problem+json")
        return self.get_response(request)
