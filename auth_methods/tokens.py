"""Sign-in tokens: ES256 JWTs signed with the organisation's key, published as JWKS."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.db import connection
from django.utils import timezone

from auth_methods.crypto import decrypt, encrypt
from auth_methods.models import SigningKey

# A retired key stays published for the longest token lifetime the policy allows, plus the
# time other processes may still sign with it from their cache after a rotation.
_KEY_CACHE_SECONDS = 60.0
PUBLISH_RETIRED_FOR = timedelta(seconds=3600 + _KEY_CACHE_SECONDS)
# Parsed keys per (schema, kid): decrypting and parsing PEM on every sign-in is wasted work.
_KEY_CACHE: dict[tuple[str, str], tuple[float, str, Any]] = {}


def _new_key() -> SigningKey:
    private = ec.generate_private_key(ec.SECP256R1())
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    kid = secrets.token_urlsafe(12)
    jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(private.public_key()))
    jwk.update(kid=kid, use="sig", alg="ES256")
    return SigningKey.objects.create(kid=kid, private_key_encrypted=encrypt(pem), public_jwk=jwk)


def _current_key() -> tuple[str, Any]:
    schema = str(getattr(connection, "schema_name", ""))
    cached = _KEY_CACHE.get((schema, "current"))
    if cached and cached[0] > time.monotonic():
        return cached[1], cached[2]
    row = SigningKey.objects.filter(retired_at__isnull=True).first() or _new_key()
    private = serialization.load_pem_private_key(decrypt(bytes(row.private_key_encrypted)), None)
    _KEY_CACHE[(schema, "current")] = (time.monotonic() + _KEY_CACHE_SECONDS, row.kid, private)
    return row.kid, private


def token_issue(
    *,
    issuer: str,
    audience: str,
    subject: str,
    amr: Sequence[str],
    credential_id: str,
    ttl_seconds: int,
) -> str:
    kid, private = _current_key()
    now = int(time.time())
    claims = {
        "iss": issuer,
        "sub": subject,
        "aud": audience,
        "iat": now,
        "exp": now + ttl_seconds,
        "jti": secrets.token_urlsafe(16),
        "amr": list(amr),
        "cred": credential_id,
    }
    return jwt.encode(claims, private, algorithm="ES256", headers={"kid": kid})


def jwks() -> dict[str, list[dict[str, Any]]]:
    """The current key and keys retired recently enough to have signed unexpired tokens."""
    cutoff = timezone.now() - PUBLISH_RETIRED_FOR
    rows = list(SigningKey.objects.exclude(retired_at__lt=cutoff))
    if not any(row.retired_at is None for row in rows):
        _forget_cached_key()
        rows.insert(0, _new_key())
    return {"keys": [dict(row.public_jwk) for row in rows]}


def _forget_cached_key() -> None:
    _KEY_CACHE.pop((str(getattr(connection, "schema_name", "")), "current"), None)


def signing_key_rotate() -> SigningKey:
    """Retire the current key and make a new one; the old one stays in JWKS for a while."""
    SigningKey.objects.filter(retired_at__isnull=True).update(retired_at=timezone.now())
    _forget_cached_key()
    return _new_key()
