"""Error pages: problem JSON for API callers, a plain page for browsers. Never a stack trace."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from auth_methods.errors import NOT_FOUND, SERVER_ERROR
from config.problems import problem_response


def _wants_html(request: HttpRequest) -> bool:
    return "text/html" in request.META.get("HTTP_ACCEPT", "")


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _wants_html(request):
        return HttpResponse("<!doctype html><title>Not found</title><h1>Not found</h1>", status=404)
    return problem_response(
        code=NOT_FOUND.code,
        status=NOT_FOUND.status,
        title=NOT_FOUND.title,
        detail=f"Nothing is served at {request.path}.",
    )


def server_error(request: HttpRequest) -> HttpResponse:
    if _wants_html(request):
        return HttpResponse("<!doctype html><title>Error</title><h1>Server error</h1>", status=500)
    return problem_response(
        code=SERVER_ERROR.code,
        status=SERVER_ERROR.status,
        title=SERVER_ERROR.title,
        detail="Something failed on our side.",
    )
