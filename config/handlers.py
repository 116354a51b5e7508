"""Error pages: problem JSON for API callers, a plain page for browsers. Never a stack trace."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from config.error_catalogue import FORBIDDEN, INVALID_REQUEST, NOT_FOUND, SERVER_ERROR, ErrorSpec
from config.problems import problem_response


def _wants_html(request: HttpRequest) -> bool:
    return "text/html" in request.META.get("HTTP_ACCEPT", "")


def _answer(request: HttpRequest, spec: ErrorSpec, detail: str) -> HttpResponse:
    if _wants_html(request):
        page = f"<!doctype html><title>{spec.title}</title><h1>{spec.title}</h1>"
        return HttpResponse(page, status=spec.status)
    return problem_response(code=spec.code, detail=detail)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    # Django's own refusals (a suspicious request, a body over its upload limit): no details.
    return _answer(request, INVALID_REQUEST, "The request was refused.")


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _answer(request, FORBIDDEN, "You may not do this.")


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _answer(request, NOT_FOUND, f"Nothing is served at {request.path}.")


def server_error(request: HttpRequest) -> HttpResponse:
    return _answer(request, SERVER_ERROR, "Something failed on our side.")
