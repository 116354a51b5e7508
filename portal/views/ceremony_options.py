"""Ceremony options rendered into a page (``json_script``), through the same services as
``/webauthn/*/options``. The page uses them for its first ceremony and fetches fresh ones
after that, or once their challenge has expired.

Each set stores a challenge, so pages spend the same per-IP budget as the API's options
calls: past it, a page carries no options and its script asks the (throttled) API instead.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest

from auth_methods.errors import AuthError
from auth_methods.models import User
from auth_methods.passkeys import services
from auth_methods.request_budget import spend_ip_request
from auth_methods.sessions import client_ip
from portal.views.context import actor_of, policy_of

Options = dict[str, Any]


def _page_options(
    request: HttpRequest, build: Callable[[services.CeremonyContext], Options]
) -> Options | None:
    """None past the per-IP budget, or when the policy refuses: the page's script then asks
    the API, which answers with the reason."""
    if not spend_ip_request(client_ip(request)):
        return None
    ctx = services.CeremonyContext(policy=policy_of(request), actor=actor_of(request))
    try:
        return build(ctx)
    except AuthError:
        return None


def page_authentication_options(
    request: HttpRequest, *, external_id: str | None = None
) -> Options | None:
    """For a sign-in: a named user's passkeys, or any discoverable one."""
    return _page_options(
        request, lambda ctx: services.authentication_options(ctx=ctx, external_id=external_id)
    )


def page_registration_options(request: HttpRequest, *, user: User) -> Options | None:
    return _page_options(request, lambda ctx: services.registration_options(ctx=ctx, user=user))
