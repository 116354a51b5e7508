"""Ceremony challenges: issued here, consumed here, once.

The record is keyed by the challenge bytes (API clients have no cookie; the finish call is
matched through the challenge inside clientDataJSON). Consumption is a DELETE ... RETURNING
that only one of two concurrent finishes can win, and it commits on its own so a failed
finish still uses the challenge up.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone

from auth_methods.errors import AuthError
from auth_methods.models import Challenge, User

CHALLENGE_BYTES = 32


@dataclass(frozen=True)
class PendingCeremony:
    purpose: str
    user_id: int | None
    created_at: datetime
    expires_at: datetime


def challenge_issue(*, purpose: str, user: User | None, ttl_seconds: int) -> bytes:
    now = timezone.now()
    value = secrets.token_bytes(CHALLENGE_BYTES)
    Challenge.objects.create(
        challenge=value,
        purpose=purpose,
        user=user,
        created_at=now,
        expires_at=now + timedelta(seconds=ttl_seconds),
    )
    return value


def challenge_consume(value: bytes, *, purpose: str) -> PendingCeremony:
    """Use up a challenge: ``challenge_invalid`` if unknown, used or of the other ceremony,
    ``challenge_expired`` if too old. Only one caller ever gets a given challenge back."""
    table = Challenge._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {table} WHERE challenge = %s "  # noqa: S608 (table name is ours)
            "RETURNING purpose, user_id, created_at, expires_at",
            [value],
        )
        row = cursor.fetchone()
    if row is None:
        raise AuthError.of(
            "challenge_invalid", "This challenge was never issued here, or was already used."
        )
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
