"""The provider's parameters are strings an app or a browser sends: refuse the ones no honest
client sends (NUL bytes, surrogates, oversized values) at the door, before they reach Authlib
or PostgreSQL, so that no input ends in a 5xx."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

MAX_VALUE = 4096
# Protocol values are printable ASCII (URIs, ids, codes, tokens): Authlib would otherwise echo
# them into an error_description, which RFC 6749 limits to that very set, and fail doing so.
ASCII_ONLY = frozenset(
    {
        "response_type", "client_id", "redirect_uri", "scope", "prompt", "max_age",
        "acr_values", "code_challenge", "code_challenge_method", "grant_type", "code",
        "code_verifier", "refresh_token", "token", "token_type_hint", "client_secret",
        "post_logout_redirect_uri", "id_token_hint", "response_mode",
    }
)  # fmt: skip


def _odd(value: str, *, ascii_only: bool = False) -> bool:
    if ascii_only and not all(" " <= char <= "~" for char in value):
        return True
    return (
        len(value) > MAX_VALUE
        or "\x00" in value
        or any(0xD800 <= ord(char) <= 0xDFFF for char in value)
    )


def odd_parameter(request: HttpRequest) -> str | None:
    """The name of the first unacceptable parameter (or header), if any."""
    for source in (request.GET, request.POST):
        for key, values in source.lists():
            strict = key in ASCII_ONLY
            if _odd(key, ascii_only=True) or any(_odd(v, ascii_only=strict) for v in values):
                return key[:40] if key.isascii() and key.isprintable() else "parameter"
    for header in ("HTTP_AUTHORIZATION",):
        if _odd(str(request.META.get(header, ""))):
            return "Authorization"
    return None


View = Callable[..., HttpResponse]


def plain_parameters(*, page: bool) -> Callable[[View], View]:
    """Refuse odd input: an HTML page for browser endpoints (never a redirect: the redirect
    URI itself may be the odd value), RFC 6749 JSON for the back-channel ones."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            name = odd_parameter(request)
            if name is None:
                return view(request, *args, **kwargs)
            description = f"{name}: not an acceptable value."  # ASCII: safe to echo
            if page:
                context = {"error": "invalid_request", "description": description}
                return render(request, "oidc/error.html", context, status=400)
            body = {"error": "invalid_request", "error_description": description}
            return JsonResponse(body, status=400)

        return wrapper

    return decorate
