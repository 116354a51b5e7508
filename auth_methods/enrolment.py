"""A second factor set up inside a half-done sign-in, for every door.

Under ``mfa_required`` a person whose password was right and who holds no second factor they
could pass is not stranded: before they are signed in they enrol one (a passkey or an
authenticator app, as the factor registry and the policy allow), with the same time limit as
the second step. Each service here refuses unless that is the user's situation, then runs the
ordinary enrolment service (so every registration rule applies), and checks that the user now
holds a second factor before the door may sign them in.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from auth_methods import errors
from auth_methods import policy_checks as checks
from auth_methods.audit import Actor, audit_record
from auth_methods.errors import AuthError
from auth_methods.factors import PASSKEY, TOTP, Factor, enrolable_factors
from auth_methods.models import AuditEvent, Passkey, User
from auth_methods.passkeys import services as passkeys
from auth_methods.policy import OrgPolicy
from auth_methods.second_factor import second_factor_choices
from auth_methods.totp.services import TotpSetup, totp_begin, totp_confirm

# What the sign-in claims (RFC 8176 ``amr``) once a factor was enrolled here: the password
# only. The new factor proves nothing about who the person is (they received it moments ago),
# so neither ``mfa`` nor the factor's own value is claimed; the next sign-in proves both.
ENROLMENT_AMR = ("pwd",)


def enrolment_due(policy: OrgPolicy, user: User) -> bool:
    """After a password: the org requires a second factor and ``user`` holds none they could
    pass now, so they must set one up before they are signed in."""
    return checks.second_factor_missing(
        policy, holds_second_factor=lambda: bool(second_factor_choices(policy, user))
    )


def enrolment_choices(policy: OrgPolicy, user: User) -> list[Factor]:
    """What ``user`` may set up in that step (empty: only an admin can help them)."""
    return enrolable_factors(user, policy=policy)


def _require_enrolment(policy: OrgPolicy, user: User, factor: Factor) -> None:
    if not enrolment_due(policy, user):
        raise errors.FORBIDDEN.with_detail("No second factor needs setting up for this sign-in.")
    if not factor.can_enrol(user, policy=policy):
        raise errors.FORBIDDEN.with_detail(
            f"This organisation does not let you set up {factor.noun} here."
        )


def _finish(actor: Actor, policy: OrgPolicy, user: User, factor: Factor) -> None:
    """The enrolled factor must now count as a second factor, or the door may not sign in."""
    if enrolment_due(policy, user):
        raise errors.FORBIDDEN.with_detail(
            "The new factor does not satisfy this organisation's policy; ask an administrator."
        )
    audit_record(
        actor=actor,
        action="second_factor.enrol_at_sign_in",
        subject=user,
        data={"factor": factor.kind, "amr": list(ENROLMENT_AMR)},
    )


def enrol_passkey_options(*, ctx: passkeys.CeremonyContext, user: User) -> dict[str, Any]:
    _require_enrolment(ctx.policy, user, PASSKEY)
    return passkeys.registration_options(ctx=ctx, user=user)


def enrol_passkey(
    *, ctx: passkeys.CeremonyContext, user: User, credential: object, label: object = None
) -> Passkey:
    """Register the passkey (every registration rule, audited as ``passkey.register``); the
    challenge must have been issued for ``user``."""
    _require_enrolment(ctx.policy, user, PASSKEY)
    try:
        with transaction.atomic():
            passkey = passkeys.register(
                ctx=ctx, credential=credential, label=label, session_user=user
            )
            _finish(ctx.actor, ctx.policy, user, PASSKEY)
    except AuthError as exc:
        # After the rollback, so the trail keeps the refusal (the REST door does the same).
        audit_record(
            actor=ctx.actor,
            action="passkey.register",
            outcome=AuditEvent.Outcome.FAILURE,
            code=exc.code,
            subject=user,
        )
        raise
    return passkey


def enrol_totp_begin(*, policy: OrgPolicy, user: User, issuer: str) -> TotpSetup:
    _require_enrolment(policy, user, TOTP)
    return totp_begin(user=user, issuer=issuer)


def enrol_totp_confirm(*, policy: OrgPolicy, actor: Actor, user: User, code: str) -> None:
    """Confirm the app with its first code (audited as ``totp.enable``)."""
    _require_enrolment(policy, user, TOTP)
    # Not in one transaction with the check after it: a wrong code's audited failure must
    # survive the refusal (``totp_confirm`` writes it after its own transaction).
    totp_confirm(actor=actor, user=user, code=code)
    _finish(actor, policy, user, TOTP)
