"""Encryption at rest for secrets the server must read back (TOTP seeds, signing keys)."""

from __future__ import annotations

import base64
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def _derived_key() -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"passgate-at-rest")
    return base64.urlsafe_b64encode(hkdf.derive(settings.SECRET_KEY.encode()))


@cache
def _fernet() -> MultiFernet:
    raw = settings.ENCRYPTION_KEYS or [_derived_key().decode()]
    try:
        return MultiFernet([Fernet(k.encode()) for k in raw])
    except ValueError:
        raise ImproperlyConfigured(
            "PASSGATE_ENCRYPTION_KEYS holds an invalid Fernet key."
        ) from None


def encrypt(plaintext: bytes) -> bytes:
    return _fernet().encrypt(plaintext)


def decrypt(token: bytes) -> bytes:
    """Raises ValueError when the token was not made with any configured key."""
    try:
        return _fernet().decrypt(token)
    except InvalidToken:
        raise ValueError("encrypted value cannot be read with the configured keys") from None
