"""What an ID token and ``userinfo`` say about a person, by scope."""

from __future__ import annotations

from typing import Any

from auth_methods.models import User

# OpenID "EAP ACR values": "phr" is a phishing-resistant sign-in (here: a passkey whose
# authenticator verified the user). Anything else is "basic".
ACR_PHISHING_RESISTANT = "phr"
ACR_BASIC = "basic"
SCOPES = ("openid", "profile", "email", "offline_access")


def subject(user: User) -> str:
    """``sub``: the user's external id, stable for as long as the user exists in this org and
    unique within its issuer (never a database id)."""
    return user.external_id


def user_claims(user: User, scope: str) -> dict[str, Any]:
    granted = set(scope.split())
    claims: dict[str, Any] = {"sub": subject(user)}
    if "profile" in granted:
        claims["name"] = user.display_name or user.email
    if "email" in granted:
        claims["email"] = user.email
        # Nothing in Passgate proves a user's address yet (accounts are made by admins and
        # integrators): claim it unverified rather than overstate.
        claims["email_verified"] = bool(getattr(user, "email_verified", False))
    return claims
