"""An app's ``login_hint`` (OpenID Connect) on the sign-in page: the email to pre-fill, and
whose passkeys the page's first ceremony offers.

Narrowing ``allowCredentials`` tells a visitor who types an address whether it holds
passkeys here, as every named-user WebAuthn sign-in does; the hint only ever narrows, the
usernameless button still offers every passkey.
"""

from __future__ import annotations

from auth_methods.models import Passkey

MAX_HINT = 254


def login_hint_of(raw: object) -> str:
    if not isinstance(raw, str) or "\x00" in raw:  # PostgreSQL text holds no NUL
        return ""
    return raw.strip()[:MAX_HINT]


def hinted_passkey_owner(hint: str) -> str | None:
    """The external id of the active user with this email who holds a passkey, if any."""
    if not hint:
        return None
    found: str | None = (
        Passkey.objects.filter(user__email=hint.lower(), user__is_active=True)
        .values_list("user__external_id", flat=True)
        .first()
    )
    return found
