"""The one place that turns errors into RFC 9457 problem JSON with the contract's codes."""

from __future__ import annotations

import math
from typing import Any

from django.http import Http404
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import set_rollback

from auth_methods.audit import audit_record
from auth_methods.errors import ERROR_CODES, AuthError
from auth_methods.models import AuditEvent

PROBLEM_JSON = "application/problem+json"


def problem_body(*, code: str, status: int, title: str, detail: str) -> dict[str, Any]:
    return {"type": "about:blank", "title": title, "status": status, "code": code, "detail": detail}


def _first_error(detail: Any, path: str = "") -> tuple[str, str]:
    """The first (field path, message) of a DRF ValidationError detail tree."""
    if isinstance(detail, dict):
        key, value = next(iter(detail.items()))
        sub = key if key != "non_field_errors" else ""
        return _first_error(value, f"{path}.{sub}" if path and sub else sub or path)
    if isinstance(detail, list) and detail:
        return _first_error(detail[0], path)
    return path, str(detail)


def _as_auth_error(exc: Exception) -> AuthError | None:
    if isinstance(exc, AuthError):
        return exc
    if isinstance(exc, exceptions.ValidationError):
        field, message = _first_error(exc.detail)
        detail = f"{field}: {message}" if field else message
        return AuthError.of("invalid_request", detail, field=field or None)
    mapping: list[tuple[type[Exception], str]] = [
        (exceptions.ParseError, "invalid_request"),
        (exceptions.UnsupportedMediaType, "invalid_request"),
        (exceptions.NotAuthenticated, "unauthenticated"),
        (exceptions.AuthenticationFailed, "unauthenticated"),
        (exceptions.PermissionDenied, "forbidden"),
        (exceptions.NotFound, "not_found"),
        (Http404, "not_found"),
        (exceptions.Throttled, "rate_limited"),
    ]
    for kind, code in mapping:
        if isinstance(exc, kind):
            detail = getattr(exc, "detail", None) or str(exc) or ERROR_CODES[code].title
            return AuthError.of(code, str(detail))
    return None


def problem_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    error = _as_auth_error(exc)
    if error is None:
        if isinstance(exc, exceptions.APIException):  # e.g. 405: keep DRF's status
            set_rollback()
            body = problem_body(
                code=str(exc.default_code),
                status=exc.status_code,
                title=str(exc.default_detail),
                detail=str(exc.detail),
            )
            return Response(body, status=exc.status_code, content_type=PROBLEM_JSON)
        return None
    set_rollback()
    _audit_failure(error, context)
    body = problem_body(
        code=error.code, status=error.status, title=error.title, detail=error.detail
    )
    response = Response(body, status=error.status, content_type=PROBLEM_JSON)
    wait = getattr(exc, "wait", None)
    if isinstance(exc, exceptions.Throttled) and wait is not None:
        response["Retry-After"] = str(max(1, math.ceil(wait)))
    return response


def _audit_failure(error: AuthError, context: dict[str, Any]) -> None:
    # After set_rollback(): this write is the one thing an error keeps.
    view = context.get("view")
    action = getattr(view, "audit_action", None)
    request = context.get("request")
    if not action or request is None or error.code in {"rate_limited", "unauthenticated"}:
        return
    from api.context import actor_for

    audit_record(
        actor=actor_for(request),
        action=action,
        outcome=AuditEvent.Outcome.FAILURE,
        code=error.code,
        subject=getattr(error, "subject", None),
        credential_id=getattr(error, "credential_id", "") or "",
        data={"detail": error.detail},
    )
