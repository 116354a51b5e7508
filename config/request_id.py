"""The request id: taken from a trusted proxy's ``X-Request-ID`` or made here, echoed back.

It lives in a ContextVar so that logs and problem bodies can name it without the request.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from contextvars import ContextVar

from django.http import HttpRequest, HttpResponse

_current: ContextVar[str | None] = ContextVar("passgate_request_id", default=None)
# A proxy's id is kept only when it is short and plain: it ends up in logs and JSON bodies.
_ACCEPTABLE = re.compile(r"[A-Za-z0-9._-]{8,64}")


def get_request_id() -> str | None:
    return _current.get()


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        offered = request.META.get("HTTP_X_REQUEST_ID", "")
        request_id = offered if _ACCEPTABLE.fullmatch(offered) else secrets.token_hex(8)
        token = _current.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            _current.reset(token)
        response["X-Request-ID"] = request_id
        return response
