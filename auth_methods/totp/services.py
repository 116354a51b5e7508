"""Authenticator apps: enrolment, sign-in and removal, with audit, around codes.py."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from auth_methods.audit import Actor, audit_record
from auth_methods.crypto import decrypt, encrypt
from auth_methods.errors import AuthError
from auth_methods.factors import is_last_required_factor
from auth_methods.models import AuditEvent, TotpDevice, User
from auth_methods.notifications import notify_totp_disabled, notify_totp_enabled
from auth_methods.policy import OrgPolicy
from auth_methods.ratelimit import authorize_totp_attempt
from auth_methods.reauth import require_recent_auth
from auth_methods.totp import codes


@dataclass(frozen=True)
class TotpSetup:
    # What the enrolment page shows once: the seed as text, as otpauth:// link and as QR.
    secret_b32: str
    provisioning_uri: str
    qr_svg: str


def _invalid_code() -> AuthError:
    # One answer for a wrong, malformed, expired or replayed code: none helps a guesser.
    return AuthError("invalid_request", "That code is not valid.", field="code")


def _audit_failure(actor: Actor, action: str, user: User) -> None:
    # Outside the service's transaction, so the trail survives the refusal.
    audit_record(
        actor=actor,
        action=action,
        outcome=AuditEvent.Outcome.FAILURE,
        code="invalid_request",
        subject=user,
    )


def totp_begin(*, user: User, issuer: str) -> TotpSetup:
    """Start (or restart) enrolling an authenticator app: a fresh seed, encrypted at rest,
    on a device that counts for nothing until ``totp_confirm``. ``issuer`` is the org name
    the app shows. A confirmed app must be removed first (``totp_disable``), so restarting
    cannot bypass its audit and last-factor check."""
    secret = codes.new_secret()
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()
        if TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).exists():
            raise AuthError(
                "invalid_request", "An authenticator app is already set up; remove it first."
            )
        TotpDevice.objects.update_or_create(
            user=user,
            defaults={
                "secret_encrypted": encrypt(secret.encode()),
                "confirmed_at": None,
                "last_used_step": 0,
            },
        )
    uri = codes.provisioning_uri(secret, issuer=issuer, account=user.email)
    return TotpSetup(secret_b32=secret, provisioning_uri=uri, qr_svg=codes.qr_svg(uri))


def totp_confirm(*, actor: Actor, user: User, code: str) -> None:
    """Finish enrolment with a first valid code from the app, audited as "totp.enable".

    Not rate-limited: the person confirming already holds the seed, so guessing gains
    nothing. The confirming code is spent, so it cannot sign in afterwards."""
    require_recent_auth(actor)
    device = TotpDevice.objects.filter(user=user, confirmed_at__isnull=True).first()
    if device is None:
        raise AuthError("invalid_request", "Start setting up an authenticator app first.")
    step = codes.matching_step(_secret(device), code)
    with transaction.atomic():
        # A conditional update: of two concurrent confirmations only one matches the row.
        done = step is not None and bool(
            TotpDevice.objects.filter(
                pk=device.pk, confirmed_at__isnull=True, last_used_step__lt=step
            ).update(confirmed_at=timezone.now(), last_used_step=step)
        )
        if done:
            audit_record(actor=actor, action="totp.enable", subject=user)
            notify_totp_enabled(user)
    if not done:
        _audit_failure(actor, "totp.enable", user)
        raise _invalid_code()


def totp_verify(*, actor: Actor, user: User, code: str) -> None:
    """Check a sign-in code from the user's confirmed app, audited as "totp.verify".

    Rate-limited per user, ±1 time step, and each step accepted once: a code at or before
    the last accepted step is a replay (someone who watched it typed) and is refused."""
    authorize_totp_attempt(user)
    device = TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).first()
    step = codes.matching_step(_secret(device), code) if device is not None else None
    with transaction.atomic():
        done = device is not None and step is not None and _mark_totp_code_used(device, step)
        if done:
            audit_record(actor=actor, action="totp.verify", subject=user)
    if not done:
        _audit_failure(actor, "totp.verify", user)
        raise _invalid_code()


def _mark_totp_code_used(device: TotpDevice, step: int) -> bool:
    # Compare-and-set in one UPDATE: two requests racing with the same code cannot both win.
    return bool(
        TotpDevice.objects.filter(pk=device.pk, last_used_step__lt=step).update(last_used_step=step)
    )


def totp_disable(*, actor: Actor, user: User, policy: OrgPolicy) -> None:
    """Remove the user's authenticator app (or a pending enrolment), audited as
    "totp.disable". Refused with ``last_factor`` when the org requires a second factor
    and the app is the only one the user has left."""
    require_recent_auth(actor)
    with transaction.atomic():
        # Lock the owner so a concurrent removal of their other factor cannot interleave.
        User.objects.select_for_update().filter(pk=user.pk).first()
        device = TotpDevice.objects.filter(user=user).first()
        if device is None:
            raise AuthError("not_found", "No authenticator app is set up.")
        confirmed = device.confirmed_at is not None
        if confirmed and is_last_required_factor(policy, user, without=device):
            raise AuthError(
                "last_factor",
                "This is your only remaining second factor, which this organisation requires. "
                "Add another one first.",
            )
        device.delete()
        audit_record(
            actor=actor, action="totp.disable", subject=user, data={"confirmed": confirmed}
        )
        if confirmed:
            notify_totp_disabled(user)


def _secret(device: TotpDevice) -> str:
    return decrypt(bytes(device.secret_encrypted)).decode()
