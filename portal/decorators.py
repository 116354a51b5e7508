"""Guards for portal pages: the host's own org admins only, and a recent sign-in for changes."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import quote, urlsplit

from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseForbidden,
    HttpResponseRedirect,
)

from auth_methods.errors import AuthError
from auth_methods.models import User
from auth_methods.reauth import is_recent
from auth_methods.rights import is_admin
from auth_methods.sessions import browser_actor

View = Callable[..., HttpResponse]


def _login_redirect(request: HttpRequest, path: str = "/login") -> HttpResponse:
    return HttpResponseRedirect(f"{path}?next={quote(_back_to(request))}")


def _back_to(request: HttpRequest) -> str:
    """Where to return after signing in: this page, or for a form's POST the page that showed
    the form (the POST's own address may answer GET with 405)."""
    if request.method in ("GET", "HEAD"):
        return request.get_full_path()
    referer = urlsplit(str(request.META.get("HTTP_REFERER", "")))
    if referer.netloc == request.get_host() and referer.path.startswith("/"):
        return referer.path + (f"?{referer.query}" if referer.query else "")
    return request.get_full_path()


def require_org_admin(view: View) -> View:
    """A slug that is not this host's organisation is a 404, whoever asks."""

    @wraps(view)
    def wrapper(request: HttpRequest, slug: str, *args: Any, **kwargs: Any) -> HttpResponse:
        tenant = getattr(request, "tenant", None)
        if tenant is None or getattr(tenant, "slug", None) != slug:
            raise Http404("No such organisation here.")
        user = request.user
        if not isinstance(user, User) or not user.is_authenticated:
            return _login_redirect(request)
        if not is_admin(browser_actor(request)):  # the REST API asks the same rule
            return HttpResponseForbidden("Only this organisation's admins may use the portal.")
        return view(request, slug, *args, **kwargs)

    return wrapper


def require_signed_in(view: View) -> View:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not isinstance(user, User) or not user.is_authenticated:
            return _login_redirect(request)
        return view(request, *args, **kwargs)

    return wrapper


def require_recent_auth(view: View) -> View:
    """Step-up for pages that lead to a sensitive change: the rule itself is the services'
    (``auth_methods.reauth``); this sends the person to re-confirm before the form rather than
    after it, and maps the services' ``reauthentication_required`` to the same redirect."""
    return _step_up(view, recovery_allows=False)


def require_recent_auth_or_recovery(view: View) -> View:
    """The same, for the pages a recovery-link session exists for (removing the lost passkeys)."""
    return _step_up(view, recovery_allows=True)


def _step_up(view: View, *, recovery_allows: bool) -> View:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not is_recent(browser_actor(request), recovery_allows=recovery_allows):
            return _login_redirect(request, "/login/confirm")
        try:
            return view(request, *args, **kwargs)
        except AuthError as exc:
            if exc.code != "reauthentication_required":
                raise
            return _login_redirect(request, "/login/confirm")

    return wrapper
