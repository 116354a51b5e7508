"""Problem bodies for the operations layer (probes, metrics, database outages).

These answer before (or instead of) any view, so they cannot use the API's handler.
"""

from __future__ import annotations

from typing import Any

from django.http import JsonResponse

from config.request_id import get_request_id


def problem(status: int, code: str, title: str, detail: str, **extra: Any) -> JsonResponse:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "code": code,
        "detail": detail,
        **extra,
    }
    request_id = get_request_id()
    if request_id:
        body["request_id"] = request_id
    return JsonResponse(body, status=status, content_type="application/problem+json")
