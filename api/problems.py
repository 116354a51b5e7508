"""Errors of the REST doors as RFC 9457 problem JSON: every failure is mapped onto a code of the
error catalogue (``auth_methods/errors.py``), whose status and title ``config.problems`` emits."""

from __future__ import annotations

import math
from typing import Any

from django.http import Http404, HttpResponse
from rest_framework import exceptions
from rest_framework.views import set_rollback

from auth_methods.audit import audit_record
from auth_methods.errors import AuthError
from auth_methods.models import AuditEvent
from config.problems import problem_response

# DRF's own exceptions, each onto a catalogue code (order matters: subclasses first).
_DRF_CODES: list[tuple[type[Exception], str]] = [
    (exceptions.ParseError, "invalid_request"),
    # The contract: a body that is not JSON is "malformed JSON", whatever its Content-Type says.
    (exceptions.UnsupportedMediaType, "invalid_request"),
    (exceptions.NotAuthenticated, "unauthenticated"),
    (exceptions.AuthenticationFailed, "unauthenticated"),
    (exceptions.PermissionDenied, "forbidden"),
    (exceptions.NotFound, "not_found"),
    (Http404, "not_found"),
    (exceptions.MethodNotAllowed, "method_not_allowed"),
    (exceptions.Throttled, "rate_limited"),
]


def error_response(error: AuthError, *, headers: dict[str, str] | None = None) -> HttpResponse:
    return problem_response(
        code=error.code,
        detail=error.detail,
        headers=headers,
    )


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
    for kind, code in _DRF_CODES:
        if isinstance(exc, kind):
            detail = getattr(exc, "detail", None) or str(exc) or code
            return AuthError.of(code, str(detail))
    if isinstance(exc, exceptions.APIException):  # one DRF adds later: still a client error
        return AuthError.of("invalid_request", str(exc.detail))
    return None


def problem_exception_handler(exc: Exception, context: dict[str, Any]) -> HttpResponse | None:
    error = _as_auth_error(exc)
    if error is None:
        return None  # a bug: Django's handler500 answers, through the same emitter
    set_rollback()
    _audit_failure(error, context)
    headers = {}
    wait = getattr(exc, "wait", None)
    if isinstance(exc, exceptions.Throttled) and wait is not None:
        headers["Retry-After"] = str(max(1, math.ceil(wait)))
    return error_response(error, headers=headers)


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
