"""Checking a sign-in token where Passgate itself is handed one back (e.g. by an OpenID
Connect endpoint): signed by this org, for this audience, unexpired, and issued after its
user's sessions were last ended (a recovery, removed passkeys, an admin's reset)."""

from __future__ import annotations

from typing import Any

import jwt

from auth_methods.errors import AuthError
from auth_methods.models import SigningKey, User
from auth_methods.session_revocation import token_revoked

_REFUSED = "This sign-in token is invalid, expired or revoked."


def sign_in_token_check(token: str, *, issuer: str, audience: str) -> dict[str, Any]:
    """The token's claims, or ``unauthenticated`` (one answer for every reason)."""
    try:
        kid = jwt.get_unverified_header(token).get("kid")
        row = SigningKey.objects.filter(kid=str(kid)).first()
        if row is None:
            raise AuthError("unauthenticated", _REFUSED)
        claims: dict[str, Any] = jwt.decode(
            token,
            jwt.PyJWK(dict(row.public_jwk)).key,
            algorithms=["ES256"],
            audience=audience,
            issuer=issuer,
            options={"require": ["exp", "iat", "sub"]},
        )
    except jwt.PyJWTError:
        raise AuthError("unauthenticated", _REFUSED) from None
    user = User.objects.filter(external_id=str(claims["sub"]), is_active=True).first()
    if user is None or token_revoked(user, int(claims["iat"])):
        raise AuthError("unauthenticated", _REFUSED)
    return claims
