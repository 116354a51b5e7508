"""How a browser session signed in (RFC 8176 ``amr`` values, phishing resistance, when), kept
in the session for the OpenID Provider's ``amr``, ``acr`` and ``auth_time`` claims.

Only what the server itself verified is claimed: ``pwd`` for a checked password, ``otp`` for
an authenticator-app or recovery code, ``hwk``/``swk`` for a passkey (device-bound or synced,
from its backup-eligible flag), ``user`` for the user-presence test every assertion passes,
``mfa`` when two factors were proven (a second factor after a password, or a passkey whose
authenticator verified the user). ``pin`` and ``fpt`` are never claimed: the UV flag does not
say which of them the authenticator used.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from django.http import HttpRequest

SIGN_IN_FACTS = "passgate_sign_in_facts"


@dataclass(frozen=True)
class SignInFacts:
    amr: tuple[str, ...]
    phishing_resistant: bool  # a passkey with user verification
    at: int  # Unix time of the sign-in (``auth_time``)
    at_ms: int  # the same, precise enough to order it against a request made that second


def passkey_amr(*, backup_eligible: bool, user_verified: bool, after_password: bool) -> list[str]:
    amr = ["pwd"] if after_password else []
    amr += ["swk" if backup_eligible else "hwk", "user"]
    if user_verified or after_password:
        amr.append("mfa")
    return amr


def record_sign_in(
    request: HttpRequest, *, amr: Sequence[str], phishing_resistant: bool = False
) -> None:
    """Call right after ``sessions.start_session`` at each sign-in completion point."""
    now_ms = time.time_ns() // 1_000_000
    request.session[SIGN_IN_FACTS] = {
        "amr": list(amr),
        "phr": phishing_resistant,
        "at": now_ms // 1000,
        "at_ms": now_ms,
    }


def sign_in_facts(request: HttpRequest) -> SignInFacts | None:
    raw = request.session.get(SIGN_IN_FACTS)
    if not isinstance(raw, dict):
        return None
    return SignInFacts(
        amr=tuple(str(v) for v in raw.get("amr", [])),
        phishing_resistant=bool(raw.get("phr")),
        at=int(raw.get("at", 0)),
        at_ms=int(raw.get("at_ms", 0)),
    )
