"""Recovery codes: issue a set, spend one code at a time, with audit, around codes.py."""

from __future__ import annotations

from django.db import transaction

from auth_methods.audit import Actor, audit_record
from auth_methods.errors import AuthError
from auth_methods.models import AuditEvent, RecoveryCodeSet, User
from auth_methods.notifications import notify_recovery_codes_regenerated
from auth_methods.ratelimit import authorize_recovery_code_attempt
from auth_methods.reauth import require_recent_auth
from auth_methods.recovery_codes import codes


def recovery_codes_generate(*, actor: Actor, user: User) -> list[str]:
    """A new set of codes for ``user``, returned once and stored only as keyed hashes;
    the previous set stops working. Audited as "recovery_codes.generate"."""
    require_recent_auth(actor)
    plain = codes.generate()
    hashes = [codes.code_hash(c.replace("-", "")) for c in plain]
    with transaction.atomic():
        RecoveryCodeSet.objects.update_or_create(
            user=user, defaults={"hashes": hashes, "used": [False] * len(hashes)}
        )
        audit_record(
            actor=actor,
            action="recovery_codes.generate",
            subject=user,
            data={"count": len(plain)},
        )
        notify_recovery_codes_regenerated(user)
    return plain


def recovery_code_consume(*, actor: Actor, user: User, code: str) -> None:
    """Spend one of ``user``'s recovery codes, audited as "recovery_codes.consume".

    Rate-limited per user; the set is locked while the code is marked used, so two
    requests with the same code cannot both succeed."""
    authorize_recovery_code_attempt(user)
    with transaction.atomic():
        row = RecoveryCodeSet.objects.select_for_update().filter(user=user).first()
        left = _spend(row, code) if row is not None else None
        if left is not None:
            audit_record(
                actor=actor, action="recovery_codes.consume", subject=user, data={"left": left}
            )
    if left is None:
        # After the transaction, so the trail survives the refusal.
        audit_record(
            actor=actor,
            action="recovery_codes.consume",
            outcome=AuditEvent.Outcome.FAILURE,
            code="invalid_request",
            subject=user,
        )
        raise AuthError("invalid_request", "That code is not valid.", field="code")


def _spend(row: RecoveryCodeSet, code: str) -> int | None:
    # How many are left after marking the matching code used; None for no usable match.
    index = codes.match(code, list(row.hashes))
    if index is None or row.used[index]:
        return None
    row.used[index] = True
    row.save(update_fields=["used"])
    return list(row.used).count(False)


def recovery_codes_left(user: User) -> int:
    """How many of ``user``'s current codes are still unused (0 without a set)."""
    row = RecoveryCodeSet.objects.filter(user=user).only("used").first()
    return 0 if row is None else list(row.used).count(False)
