"""The one emitter of RFC 9457 problem bodies, for every layer that answers with an error.

It owns the body's shape (``type``, ``title``, ``status``, ``code``, ``detail``, ``request_id``);
callers name a code of the catalogue (``config/error_catalogue.py``), whose row gives the status
and the title, so no layer can answer with a title or status of its own. It sits in ``config/``
so that every layer (``tenants/`` included, which may not import ``auth_methods/``) may use it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.http import HttpRequest, JsonResponse

from config.error_catalogue import ERROR_CODES
from config.request_id import get_request_id

PROBLEM_JSON = "application/problem+json"


def problem_body(
    *, code: str, detail: str, extensions: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """``extensions`` are RFC 9457 extension members (e.g. readiness ``checks``); they never
    replace a standard member. An unknown ``code`` is a programming error (``KeyError``)."""
    spec = ERROR_CODES[code]
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": spec.title,
        "status": spec.status,
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
    detail: str,
    headers: Mapping[str, str] | None = None,
    extensions: Mapping[str, Any] | None = None,
) -> JsonResponse:
    body = problem_body(code=code, detail=detail, extensions=extensions)
    response = JsonResponse(
        body,
        status=body["status"],
        content_type=PROBLEM_JSON,
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def probe_method_not_allowed(request: HttpRequest) -> JsonResponse:
    """The probes' and metrics' answer to anything but GET and HEAD."""
    return problem_response(
        code="method_not_allowed",
        detail=f"Method {str(request.method)[:16]} is not allowed here; use GET or HEAD.",
        headers={"Allow": "GET, HEAD"},
    )
