"""Ceremony options rendered into a page (``json_script``), through the same services as
``/webauthn/*/options``. The page uses them for its first ceremony and fetches fresh ones
after that, or once their challenge has expired.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from auth_methods.errors import AuthError
from auth_methods.models import User
from auth_methods.passkeys import services
from portal.views.context import actor_of, policy_of


def _ctx(request: HttpRequest) -> services.CeremonyContext:
    return services.CeremonyContext(policy=policy_of(request), actor=actor_of(request))


def page_authentication_options(
    request: HttpRequest, *, external_id: str | None = None
) -> dict[str, Any] | None:
    """Options for a sign-in (a named user's passkeys, or any discoverable one), or None when
    the policy refuses: the page's button then asks the API, which says why."""
    try:
        return services.authentication_options(ctx=_ctx(request), external_id=external_id)
    except AuthError:
        return None


def page_registration_options(request: HttpRequest, *, user: User) -> dict[str, Any] | None:
    try:
        return services.registration_options(ctx=_ctx(request), user=user)
    except AuthError:
        return None
