"""Ceremony options rendered into a page (``json_script``), through the same services as
``/webauthn/*/options``. The page uses them for its first ceremony and fetches fresh ones
after that, or once their challenge has expired.

Each set stores a challenge, so pages spend the same per-IP budget as the API's options
calls: past it, a page carries no options and its script asks the (throttled) API instead.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from api.throttling import PerIpThrottle
from auth_methods.errors import AuthError
from auth_methods.models import User
from auth_methods.passkeys import services
from portal.views.context import actor_of, policy_of


def _within_budget(request: HttpRequest) -> bool:
    return PerIpThrottle().allow_request(request, None)  # type: ignore[arg-type]


def _ctx(request: HttpRequest) -> services.CeremonyContext:
    return services.CeremonyContext(policy=policy_of(request), actor=actor_of(request))


def page_authentication_options(
    request: HttpRequest, *, external_id: str | None = None
) -> dict[str, Any] | None:
    """Options for a sign-in (a named user's passkeys, or any discoverable one), or None when
    the policy refuses: the page's button then asks the API, which says why."""
    if not _within_budget(request):
        return None
    try:
        return services.authentication_options(ctx=_ctx(request), external_id=external_id)
    except AuthError:
        return None


def page_registration_options(request: HttpRequest, *, user: User) -> dict[str, Any] | None:
    if not _within_budget(request):
        return None
    try:
        return services.registration_options(ctx=_ctx(request), user=user)
    except AuthError:
        return None
