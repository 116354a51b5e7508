"""Options for the passkey step an app demanded (acr_values=phr): user verification required,
whatever the org's default, and for the signed-in person's own passkeys when there is one."""

from __future__ import annotations

import dataclasses
from typing import Any

from django.http import HttpRequest

from auth_methods.audit import Actor
from auth_methods.errors import AuthError
from auth_methods.models import User
from auth_methods.passkeys import services
from auth_methods.settings_service import policy_for
from oidc.provider import org_of


def passkey_step_options(request: HttpRequest) -> dict[str, Any] | None:
    policy = dataclasses.replace(policy_for(org_of(request)), user_verification="required")
    user = (
        request.user if isinstance(request.user, User) and request.user.is_authenticated else None
    )
    actor = Actor(
        user=user,
        label=user.email if user else "anonymous",
        ip=request.META.get("REMOTE_ADDR") or None,
        user_agent=str(request.META.get("HTTP_USER_AGENT", ""))[:500],
    )
    ctx = services.CeremonyContext(policy=policy, actor=actor)
    try:
        return services.authentication_options(
            ctx=ctx, external_id=user.external_id if user else None
        )
    except AuthError:
        return None  # the page's script asks the API, which says why
