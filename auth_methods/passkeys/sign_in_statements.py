"""A sign-in's three round trips to the database, each one statement whose SQL is built once.

The options store the challenge for the named user while reading their passkeys
(``issue_for_user``). Finishing used to take five: consume the challenge, load the credential
and its owner, then BEGIN, UPDATE the counter, INSERT the audit event, COMMIT. Here the
challenge is consumed (``challenges.CONSUME_SQL``) in a CTE that the credential and its owner
are joined to, and the counter's conditional UPDATE (the rule:
``policy_checks.sign_count_accepted_below``) feeds the audit event's INSERT (the row:
``audit.audit_values``), so the event is written if and only if the UPDATE matched. A single
statement is atomic on its own, without a transaction around it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import connection

from auth_methods.audit import AUDIT_INSERT_SQL, audit_insert_params, audit_inserted
from auth_methods.models import Challenge, Passkey, User
from auth_methods.passkeys.challenges import (
    CONSUME_SQL,
    ISSUE_COLUMNS,
    PendingCeremony,
    challenge_fresh,
    challenge_judge,
    challenge_unknown,
)
from auth_methods.sql_rows import Columns

_PASSKEY = Columns(Passkey, "p")
_USER = Columns(User, "u")
_CONSUME_AND_LOAD = (
    f"WITH c AS ({CONSUME_SQL}) "  # noqa: S608 (our tables and columns)
    f"SELECT c.purpose, c.user_id, c.created_at, c.expires_at, {_PASSKEY.sql}, {_USER.sql} "
    f"FROM c LEFT JOIN {Passkey._meta.db_table} p ON p.credential_id = %s "
    f"LEFT JOIN {User._meta.db_table} u ON u.id = p.user_id"
)
_SPLIT = 4 + len(_PASSKEY.fields)


def consume_and_load(
    challenge: bytes, credential_id: bytes, *, purpose: str
) -> tuple[PendingCeremony, Passkey | None]:
    """Use up ``challenge`` (refused as ``challenges.challenge_judge`` says) and return the
    org's passkey of ``credential_id``, its ``user`` loaded, or None if it holds none."""
    with connection.cursor() as cursor:
        cursor.execute(_CONSUME_AND_LOAD, [challenge, credential_id])
        row = cursor.fetchone()
    if row is None:
        raise challenge_unknown()
    pending = challenge_judge(row[:4], purpose=purpose)
    passkey = _PASSKEY.build(row[4:_SPLIT])
    if passkey is not None:
        passkey.user = _USER.build(row[_SPLIT:])  # type: ignore[assignment]
    return pending, passkey


_RECORD_USE = (
    f"WITH p AS (UPDATE {Passkey._meta.db_table} "  # noqa: S608 (our tables and columns)
    "SET sign_count = %s, last_used_at = %s, backed_up = %s "
    "WHERE id = %s AND NOT flagged AND sign_count < %s RETURNING id) "
    f"{AUDIT_INSERT_SQL} FROM p RETURNING id"
)


def record_use(
    passkey_id: int,
    *,
    sign_count: int,
    accepted_below: int,
    backed_up: bool,
    now: datetime,
    audit: dict[str, Any],
) -> bool:
    """Store the new counter and last use if the stored counter is below ``accepted_below`` and
    the passkey is not flagged, writing the ``audit`` event (``audit.audit_values``) with it;
    False, and nothing written, if the row did not match."""
    with connection.cursor() as cursor:
        cursor.execute(
            _RECORD_USE,
            [
                sign_count,
                now,
                backed_up,
                passkey_id,
                accepted_below,
                *audit_insert_params(audit, now=now),
            ],
        )
        row = cursor.fetchone()
    if row is None:
        return False
    audit_inserted(audit, pk=row[0], now=now)
    return True


_REFS = Columns(Passkey, "p", ("credential_id", "transports"))
_ISSUE_FOR_USER = (
    f"WITH u AS (SELECT id FROM {User._meta.db_table} WHERE external_id = %s), "  # noqa: S608
    f"ch AS (INSERT INTO {Challenge._meta.db_table} ({ISSUE_COLUMNS}) "
    "SELECT %s, %s, u.id, %s, %s FROM u RETURNING user_id) "
    f"SELECT ch.user_id, {_REFS.sql} FROM ch "
    f"LEFT JOIN {Passkey._meta.db_table} p ON p.user_id = ch.user_id"
)


def issue_for_user(
    external_id: str, *, purpose: str, ttl_seconds: int
) -> tuple[bytes, list[tuple[bytes, list[str]]]] | None:
    """Issue a challenge (``challenges.challenge_fresh``) for the org's user ``external_id``
    and return it with the user's passkeys' (credential id, transports), in one statement;
    None, and nothing stored, if the org has no such user."""
    value, now, expires = challenge_fresh(ttl_seconds=ttl_seconds)
    with connection.cursor() as cursor:
        cursor.execute(_ISSUE_FOR_USER, [external_id, value, purpose, now, expires])
        rows = cursor.fetchall()
    if not rows:
        return None
    return value, [
        (bytes(cred_id), transports)
        for cred_id, transports in (_REFS.convert(row[1:]) for row in rows)
        if cred_id is not None
    ]
