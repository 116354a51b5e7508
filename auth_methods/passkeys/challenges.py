"""Ceremony challenges: issued here, consumed here, once.

The record is keyed by the challenge bytes (API clients have no cookie; the finish call is
matched through the challenge inside clientDataJSON). Consumption is one DELETE ... RETURNING
statement, which only one of two concurrent finishes can win; run outside a transaction (as the
ceremony services call it), it commits on its own, so a failed finish still uses the challenge
up.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import connection
from django.utils import timezone

from auth_methods.errors import AuthError
from auth_methods.models import Challenge

CHALLENGE_BYTES = 32


@dataclass(frozen=True)
class PendingCeremony:
    purpose: str
    user_id: int | None
    created_at: datetime
    expires_at: datetime


# The record's columns, in the order ``challenge_fresh`` and ``challenge_issue`` give them.
ISSUE_COLUMNS = "challenge, purpose, user_id, created_at, expires_at"
_ISSUE_SQL = (
    f"INSERT INTO {Challenge._meta.db_table} ({ISSUE_COLUMNS}) "  # noqa: S608 (our table)
    "VALUES (%s, %s, %s, %s, %s)"
)


def challenge_fresh(*, ttl_seconds: int) -> tuple[bytes, datetime, datetime]:
    """A new challenge's value, issue time and expiry; ``challenge_issue`` stores it (a hot
    path may store it as part of its own statement, with ``ISSUE_COLUMNS``)."""
    now = timezone.now()
    return secrets.token_bytes(CHALLENGE_BYTES), now, now + timedelta(seconds=ttl_seconds)


def challenge_issue(*, purpose: str, user_id: int | None, ttl_seconds: int) -> bytes:
    value, now, expires = challenge_fresh(ttl_seconds=ttl_seconds)
    with connection.cursor() as cursor:  # on every ceremony: no model instance to build
        cursor.execute(_ISSUE_SQL, [value, purpose, user_id, now, expires])
    return value


# Uses up a challenge; hot paths may run it as a CTE and join what they need to its row.
CONSUME_SQL = (
    f"DELETE FROM {Challenge._meta.db_table} WHERE challenge = %s "  # noqa: S608 (our table)
    "RETURNING purpose, user_id, created_at, expires_at"
)


def challenge_consume(value: bytes, *, purpose: str) -> PendingCeremony:
    """Use up a challenge: ``challenge_invalid`` if unknown, used or of the other ceremony,
    ``challenge_expired`` if too old. Only one caller ever gets a given challenge back."""
    with connection.cursor() as cursor:  # a single statement: atomic without BEGIN/COMMIT
        cursor.execute(CONSUME_SQL, [value])
        row = cursor.fetchone()
    if row is None:
        raise challenge_unknown()
    return challenge_judge(row, purpose=purpose)


def challenge_unknown() -> AuthError:
    """``CONSUME_SQL`` deleted nothing."""
    return AuthError.of(
        "challenge_invalid", "This challenge was never issued here, or was already used."
    )


def challenge_judge(row: Sequence[Any], *, purpose: str) -> PendingCeremony:
    """The ceremony a consumed challenge (``CONSUME_SQL``'s row) started, or the contract's
    refusal."""
    pending = PendingCeremony(purpose=row[0], user_id=row[1], created_at=row[2], expires_at=row[3])
    if pending.purpose != purpose:
        raise AuthError.of("challenge_invalid", "This challenge was issued for another ceremony.")
    now = timezone.now()
    if now > pending.expires_at:
        age = int((now - pending.created_at).total_seconds())
        allowed = int((pending.expires_at - pending.created_at).total_seconds())
        raise AuthError.of(
            "challenge_expired",
            f"The challenge was issued {age} s ago; this org allows {allowed} s.",
        )
    return pending


def challenges_purge_expired() -> int:
    deleted, _ = Challenge.objects.filter(expires_at__lt=timezone.now()).delete()
    return deleted
