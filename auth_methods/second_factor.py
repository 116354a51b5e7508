"""The second step after a password, and admin resets of a user's second factors, for every
door. Which factors a user may use and how each is checked come from the registry
(``factors.py``); nothing here branches on a factor's kind."""

from __future__ import annotations

from django.db import transaction

from auth_methods import policy_checks as checks
from auth_methods.audit import Actor, audit_record
from auth_methods.errors import AuthError
from auth_methods.factors import Factor, factor_of_kind, usable_factors
from auth_methods.models import RecoveryCodeSet, TotpDevice, User
from auth_methods.notifications import notify_totp_disabled
from auth_methods.policy import OrgPolicy
from auth_methods.reauth import require_recent_auth
from auth_methods.session_revocation import end_other_sessions


def second_factor_choices(policy: OrgPolicy, user: User) -> list[Factor]:
    """The user's factors that can actually be passed now, in chooser order: a passkey counts
    only while the policy would accept it at sign-in (otherwise it would strand them)."""
    return usable_factors(user, policy=policy)


def second_factor_needed(policy: OrgPolicy, user: User) -> bool:
    """After a password: a second factor when the user has one or the org requires one."""
    return checks.second_step_due(
        policy, holds_second_factor=bool(second_factor_choices(policy, user))
    )


def second_factor_offered(policy: OrgPolicy, user: User, kind: str) -> Factor | None:
    """The factor called ``kind`` when ``user`` may pass the second step with it now."""
    factor = factor_of_kind(kind)
    return factor if factor.is_usable(user, policy=policy) else None


def second_factor_verify(
    *, policy: OrgPolicy, actor: Actor, user: User, kind: str, proof: object
) -> None:
    """Check the second step: ``proof`` for the factor called ``kind``, which must be one the
    user may use now; raises ``AuthError`` (``forbidden`` for a factor not on offer)."""
    factor = second_factor_offered(policy, user, kind)
    if factor is None:
        raise AuthError("forbidden", f"The {kind} factor is not available to this user.")
    factor.verify(policy=policy, actor=actor, user=user, proof=proof)


def second_factor_wipe(*, actor: Actor, user: User) -> int:
    """Delete ``user``'s authenticator app (confirmed or pending) and recovery codes, audited
    as "second_factor.wipe"; returns how many authenticator apps were removed (0 or 1).

    No last-factor guard: this is the admin's deliberate reset for a person who lost their
    device, who then enrols again at the next sign-in. The event is written even when there
    was nothing to delete, so the trail shows the admin's intent.
    """
    require_recent_auth(actor)
    with transaction.atomic():
        # Lock the user so a concurrent TOTP confirmation cannot slip in between.
        User.objects.select_for_update().filter(pk=user.pk).first()
        removed, _ = TotpDevice.objects.filter(user=user).delete()
        codes, _ = RecoveryCodeSet.objects.filter(user=user).delete()
        end_other_sessions(user)
        audit_record(
            actor=actor,
            action="second_factor.wipe",
            subject=user,
            data={"removed": {"totp": removed, "recovery_codes": codes}},
        )
        if removed:
            notify_totp_disabled(user)
    return removed
