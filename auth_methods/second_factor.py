"""Admin resets of a user's second factors (authenticator app, recovery codes), for every door."""

from __future__ import annotations

from django.db import transaction

from auth_methods.audit import Actor, audit_record
from auth_methods.models import RecoveryCodeSet, TotpDevice, User
from auth_methods.notifications import notify_totp_disabled
from auth_methods.reauth import require_recent_auth


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
        audit_record(
            actor=actor,
            action="second_factor.wipe",
            subject=user,
            data={"removed": {"totp": removed, "recovery_codes": codes}},
        )
        if removed:
            notify_totp_disabled(user)
    return removed
