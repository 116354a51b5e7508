"""Recovery codes as plain strings: make, normalise, hash and compare them."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

COUNT = 10
# Crockford's base32, lower-case: no i, l, o or u, so nothing reads as 1 or 0 or another
# letter. 10 characters of 32 symbols = 50 bits per code.
ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
LENGTH = 10
# What people type instead: the letters the alphabet leaves out for look-alike digits.
_LOOK_ALIKES = str.maketrans("ilo", "110")


def generate() -> list[str]:
    made: list[str] = []
    while len(made) < COUNT:
        raw = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
        if raw not in made:
            made.append(raw)
    return [f"{raw[:5]}-{raw[5:]}" for raw in made]


def normalise(code: str) -> str | None:
    raw = "".join(code.split()).replace("-", "").lower().translate(_LOOK_ALIKES)
    if len(raw) != LENGTH or any(c not in ALPHABET for c in raw):
        return None
    return raw


def _key() -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"passgate-recovery-codes")
    return hkdf.derive(settings.SECRET_KEY.encode())


def code_hash(code: str) -> str:
    # A keyed hash, not a plain one: the table alone (a leaked backup, a read-only SQL
    # injection) cannot be brute-forced without SECRET_KEY, while 50 bits would fall to an
    # offline search of plain SHA-256. No slow hash is needed: the codes are random, not
    # chosen by people. Rotating SECRET_KEY therefore voids every recovery code.
    return hmac.new(_key(), code.encode(), hashlib.sha256).hexdigest()


def match(code: str, hashes_hex: list[str]) -> int | None:
    # Every entry is compared in constant time: timing reveals neither whether nor where.
    raw = normalise(code)
    if raw is None:
        return None
    digest = code_hash(raw)
    found = None
    for index, stored in enumerate(hashes_hex):
        if hmac.compare_digest(stored, digest):
            found = index
    return found
