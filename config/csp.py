"""A strict Content-Security-Policy on every response, error pages and 413s included.

Pages load scripts and styles from this origin only: no inline script or style, no plugins,
no framing, no ``<base>`` rewriting. A view may send its own policy (the API docs page, whose
third-party renderer needs inline script) by setting the header itself.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

HEADER = "Content-Security-Policy"
POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    )
)
# Redoc (/api/docs on the platform host) runs an inline bootstrap script, styles itself
# inline and parses the schema in a blob: worker. The page holds no user data.
API_DOCS_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "worker-src blob:",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    )
)


class ContentSecurityPolicyMiddleware:
    """First in MIDDLEWARE, so that the responses other middleware make get it too."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault(HEADER, POLICY)
        return response


def with_api_docs_policy(
    view: Callable[..., HttpResponse],
) -> Callable[..., HttpResponse]:
    def wrapper(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        response = view(request, *args, **kwargs)
        response.headers[HEADER] = API_DOCS_POLICY
        return response

    return wrapper
