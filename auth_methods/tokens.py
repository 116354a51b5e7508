"""Sign-in tokens: JWTs signed with the organisation's keys (ES256, and RS256 for OpenID
Connect clients that need it), published as JWKS, rotated without breaking tokens in flight."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.db import connection
from django.utils import timezone

from auth_methods.crypto import decrypt, encrypt
from auth_methods.local_lru import BoundedLru
from auth_methods.models import SigningKey

# A retired key stays published for the longest token lifetime the policy allows, plus the
# time other processes may still sign with it from their cache after a rotation.
_KEY_CACHE_SECONDS = 60.0
PUBLISH_RETIRED_FOR = timedelta(seconds=3600 + _KEY_CACHE_SECONDS)
# Parsed keys per (schema, algorithm): decrypting and parsing PEM on every sign-in is wasted
# work. Bounded, least recently used first out: a process may serve any number of orgs.
_KEY_CACHE: BoundedLru[tuple[str, str], tuple[float, str, Any]] = BoundedLru()


# ES256 signs the contract's sign-in tokens and, by default, ID tokens; RS256 is there for
# OpenID Connect clients that cannot verify anything else. A key of an algorithm is made the
# first time it is needed (or when a client asks for it), so JWKS lists it before any token.
ALGORITHMS = ("ES256", "RS256")


def _new_key(alg: str = "ES256") -> SigningKey:
    private: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
    if alg == "RS256":
        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(private.public_key()))
    else:
        private = ec.generate_private_key(ec.SECP256R1())
        jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(private.public_key()))
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    kid = secrets.token_urlsafe(12)
    jwk.update(kid=kid, use="sig", alg=alg)
    return SigningKey.objects.create(kid=kid, private_key_encrypted=encrypt(pem), public_jwk=jwk)


def _current_rows(alg: str) -> Any:
    return SigningKey.objects.filter(retired_at__isnull=True, public_jwk__alg=alg)


def current_signing_key(alg: str = "ES256") -> tuple[str, Any]:
    """(kid, private key) of the org's current key for ``alg``, made on first use."""
    if alg not in ALGORITHMS:
        raise ValueError(f"unsupported signing algorithm {alg!r}")
    schema = str(getattr(connection, "schema_name", ""))
    cached = _KEY_CACHE.get((schema, alg))
    if cached and cached[0] > time.monotonic():
        return cached[1], cached[2]
    row = _current_rows(alg).first() or _new_key(alg)
    private = serialization.load_pem_private_key(decrypt(bytes(row.private_key_encrypted)), None)
    _KEY_CACHE.set((schema, alg), (time.monotonic() + _KEY_CACHE_SECONDS, row.kid, private))
    return row.kid, private


def ensure_signing_key(alg: str) -> None:
    """Publish a key for ``alg`` now (e.g. when a client that wants it is registered)."""
    current_signing_key(alg)


def token_issue(
    *,
    issuer: str,
    audience: str,
    subject: str,
    amr: Sequence[str],
    credential_id: str,
    ttl_seconds: int,
) -> str:
    kid, private = current_signing_key("ES256")
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
    if not any(row.retired_at is None and row.public_jwk.get("alg") == "ES256" for row in rows):
        _forget_cached_key("ES256")
        rows.insert(0, _new_key("ES256"))
    return {"keys": [dict(row.public_jwk) for row in rows]}


def _forget_cached_key(alg: str) -> None:
    _KEY_CACHE.pop((str(getattr(connection, "schema_name", "")), alg))


def signing_key_rotate() -> SigningKey:
    """Retire the current keys and make new ones (ES256, and RS256 if the org had one); the
    old ones stay in JWKS until every token they signed has expired. Returns the ES256 key."""
    current = _current_rows_any()
    algs = {str(row.public_jwk.get("alg", "ES256")) for row in current} | {"ES256"}
    current.update(retired_at=timezone.now())
    made = {}
    for alg in sorted(algs):
        _forget_cached_key(alg)
        made[alg] = _new_key(alg)
    return made["ES256"]


def _current_rows_any() -> Any:
    return SigningKey.objects.filter(retired_at__isnull=True)
