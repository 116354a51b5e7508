"""The TOTP protocol: the only importer of pyotp. Plain strings and ints in and out."""

from __future__ import annotations

import hmac
import re
import time

import pyotp
import segno

# One step either side of now: about 30 s of clock drift or typing time, no more.
WINDOW = 1
_CODE = re.compile(r"[0-9]{6}")


def new_secret() -> str:
    # 160 bits in base32: the seed size RFC 4226 recommends for HMAC-SHA1.
    return pyotp.random_base32()


def provisioning_uri(secret: str, *, issuer: str, account: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=issuer)


def qr_svg(text: str) -> str:
    # An <svg> element without XML declaration or namespace: safe to place inline in HTML.
    return str(segno.make(text, error="m").svg_inline(scale=4))


def _now() -> float:
    return time.time()


def normalise(code: str) -> str | None:
    # Apps show "123 456" for readability. ASCII digits only: compare_digest refuses others.
    code = "".join(code.split())
    return code if _CODE.fullmatch(code) else None


def matching_step(secret: str, code: str, *, window: int = WINDOW) -> int | None:
    # The newest matching step, not a bool: the caller refuses replays by comparing steps.
    digits = normalise(code)
    if digits is None:
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(_now())
    found = None
    # Every candidate is compared, in constant time, so timing tells nothing about which.
    for step in range(current - window, current + window + 1):
        if hmac.compare_digest(totp.generate_otp(step), digits):
            found = step
    return found
