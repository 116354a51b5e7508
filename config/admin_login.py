"""Django admin's sign-in on the platform host, under the same password budget as /login."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_http_methods

from auth_methods.errors import AuthError
from auth_methods.ratelimit import (
    PASSWORD_PER_CLIENT,
    attempt_succeeded,
    authorize_password_attempt,
)


@require_http_methods(["GET", "POST"])
def admin_login(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return admin.site.login(request)
    try:
        attempt = authorize_password_attempt(
            email=str(request.POST.get("username", ""))[:254], ip=request.META.get("REMOTE_ADDR")
        )
    except AuthError as exc:
        return HttpResponse(
            f"<!doctype html><title>Too many attempts</title><h1>{exc.detail}</h1>",
            status=429,
            headers={"Retry-After": str(PASSWORD_PER_CLIENT[1])},
        )
    response = admin.site.login(request)
    if request.user.is_authenticated:
        attempt_succeeded(attempt)
    return response
