"""Error pages: problem JSON for API callers, a plain page for browsers. Never a stack trace."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse

from auth_methods.errors import ERROR_CODES


def _problem(status: int, code: str, title: str, detail: str) -> JsonResponse:
    body = {"type": "about:blank", "title": title, "status": status, "code": code, "detail": detail}
    return JsonResponse(body, status=status, content_type="application/problem+json")


def _wants_html(request: HttpRequest) -> bool:
    return "text/html" in request.META.get("HTTP_ACCEPT", "")


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _wants_html(request):
        return HttpResponse("<!doctype html><title>Not found</title><h1>Not found</h1>", status=404)
    spec = ERROR_CODES["not_found"]
    return _problem(404, "not_found", spec.title, f"Nothing is served at {request.path}.")


def server_error(request: HttpRequest) -> HttpResponse:
    if _wants_html(request):
        return HttpResponse("<!doctype html><title>Error</title><h1>Server error</h1>", status=500)
    return _problem(500, "server_error", "Server error", "Something failed on our side.")
