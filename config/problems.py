"""The one emitter of RFC 9457 problem bodies, for every layer that answers with an error.

It owns the body's shape (``type``, ``title``, ``status``, ``code``, ``detail``, ``request_id``),
not the codes: each caller passes the code with its status and title. ``api/problems.py`` takes
them from the error catalogue (``auth_methods/errors.py``); ``tenants/``, which may not import
``auth_methods/``, passes the catalogue's words itself, and a test holds every emitted title to
the catalogue. It sits in ``config/`` so that both may import it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.http import JsonResponse

from config.request_id import get_request_id

PROBLEM_JSON = "application/problem+json"


def problem_body(
    *,
    code: str,
    status: int,
    title: str,
    detail: str,
    extensions: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """``extensions`` are RFC 9457 extension members (e.g. readiness ``checks``); they never
    replace a standard member."""
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "code": code,
        "detail": detail,
    }
    request_id = get_request_id()
    if request_id is not None:  # None only outside a request (e.g. a handler called in a test)
        body["request_id"] = request_id
    for name, value in (extensions or {}).items():
        body.setdefault(name, value)
    return body


def problem_response(
    *,
    code: str,
    status: int,
    title: str,
    detail: str,
    headers: Mapping[str, str] | None = None,
    extensions: Mapping[str, Any] | None = None,
) -> JsonResponse:
    response = JsonResponse(
        problem_body(code=code, status=status, title=title, detail=detail, extensions=extensions),
        status=status,
        content_type=PROBLEM_JSON,
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response
