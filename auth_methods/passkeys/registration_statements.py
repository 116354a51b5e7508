"""A registration's reads, each one statement whose SQL is built once.

The challenge is consumed (``challenges.CONSUME_SQL``) in a CTE that its user is joined to;
under the owner's row lock, the owner's passkey count and whether the new credential id is
taken are read together. The lock is its own statement on purpose: a statement's snapshot is
taken before it waits for a lock, so reads made in the locking statement could miss the
passkey of the registration that held the lock.
"""

from __future__ import annotations

from django.db import connection

from auth_methods.models import Passkey, User
from auth_methods.passkeys.challenges import (
    CONSUME_SQL,
    PendingCeremony,
    challenge_judge,
    challenge_unknown,
)
from auth_methods.sql_rows import Columns

_USER = Columns(User, "u")
_CONSUME_AND_LOAD = (
    f"WITH c AS ({CONSUME_SQL}) "  # noqa: S608 (our tables and columns)
    f"SELECT c.purpose, c.user_id, c.created_at, c.expires_at, {_USER.sql} "
    f"FROM c LEFT JOIN {User._meta.db_table} u ON u.id = c.user_id"
)


def consume_and_load_user(challenge: bytes, *, purpose: str) -> tuple[PendingCeremony, User | None]:
    """Use up ``challenge`` (refused as ``challenges.challenge_judge`` says) and return the
    user it was issued for, None if there is none (any more)."""
    with connection.cursor() as cursor:
        cursor.execute(_CONSUME_AND_LOAD, [challenge])
        row = cursor.fetchone()
    if row is None:
        raise challenge_unknown()
    return challenge_judge(row[:4], purpose=purpose), _USER.build(row[4:])


_LOCK_USER = f"SELECT 1 FROM {User._meta.db_table} WHERE id = %s FOR UPDATE"  # noqa: S608
_COUNT_AND_TAKEN = (
    f"SELECT (SELECT count(*) FROM {Passkey._meta.db_table} WHERE user_id = %s), "  # noqa: S608
    f"EXISTS (SELECT 1 FROM {Passkey._meta.db_table} WHERE credential_id = %s)"
)


def lock_owner_and_count(user_id: int, credential_id: bytes) -> tuple[int, bool]:
    """Inside a transaction: lock the user's row (two registrations of one user then run one
    after the other), and return their passkey count and whether ``credential_id`` is held."""
    with connection.cursor() as cursor:
        cursor.execute(_LOCK_USER, [user_id])
        cursor.execute(_COUNT_AND_TAKEN, [user_id, credential_id])
        count, taken = cursor.fetchone()
    return int(count), bool(taken)


_REFS = Columns(Passkey, "p", ("credential_id", "transports"))
_PASSKEY_REFS = f"SELECT {_REFS.sql} FROM {Passkey._meta.db_table} p WHERE p.user_id = %s"  # noqa: S608


def passkey_refs(user_id: int) -> list[tuple[bytes, list[str]]]:
    """The (credential id, transports) of the user's passkeys, which a new one must not repeat."""
    with connection.cursor() as cursor:
        cursor.execute(_PASSKEY_REFS, [user_id])
        rows = cursor.fetchall()
    return [(bytes(cred_id), transports) for cred_id, transports in map(_REFS.convert, rows)]
