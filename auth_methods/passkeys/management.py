"""Managing passkeys after registration: rename, clear a flag, delete, admin reset."""

from __future__ import annotations

from django.contrib.sessions.backends.base import SessionBase
from django.db import transaction

from auth_methods import policy as pol
from auth_methods.audit import Actor, audit_record
from auth_methods.encoding import b64url_encode
from auth_methods.errors import AuthError
from auth_methods.models import Passkey, User
from auth_methods.notifications import notify_passkey_removed
from auth_methods.passkeys.services import _clean_label
from auth_methods.reauth import require_recent_auth
from auth_methods.rights import require_may_clear_flag
from auth_methods.session_revocation import end_other_sessions


def passkey_rename(*, actor: Actor, passkey: Passkey, label: object) -> Passkey:
    require_recent_auth(actor)
    new_label = _clean_label(label, "")
    if not new_label:
        raise AuthError.of("invalid_request", "label must not be empty.", field="label")
    with transaction.atomic():
        old = passkey.label
        passkey.label = new_label
        passkey.save(update_fields=["label"])
        audit_record(
            actor=actor,
            action="passkey.rename",
            subject=passkey.user,
            credential_id=b64url_encode(bytes(passkey.credential_id)),
            data={"before": old, "after": new_label},
        )
    return passkey


def passkey_clear_flag(*, actor: Actor, passkey: Passkey) -> Passkey:
    require_recent_auth(actor)
    require_may_clear_flag(actor, passkey)
    with transaction.atomic():
        passkey.flagged, passkey.flagged_at = False, None
        passkey.save(update_fields=["flagged", "flagged_at"])
        audit_record(
            actor=actor,
            action="passkey.clear_flag",
            subject=passkey.user,
            credential_id=b64url_encode(bytes(passkey.credential_id)),
        )
    return passkey


def passkey_delete(
    *,
    actor: Actor,
    passkey: Passkey,
    policy: pol.OrgPolicy,
    guard_last_factor: bool,
    keep_session: SessionBase | None = None,
    understood_no_way_in: bool = False,
) -> None:
    """Delete one passkey; with ``guard_last_factor`` (a user acting on their own account),
    refuse to remove the last way to pass the second factor the organisation requires, and
    the last way to sign in at all unless the person ``understood_no_way_in`` (then only an
    emailed recovery link gets them back; without an email address, always refused).
    Every session of the owner but ``keep_session`` ends: whoever holds the device may be
    signed in with it."""
    require_recent_auth(actor)
    from auth_methods.factors import is_last_required_factor, last_way_in_refusal

    with transaction.atomic():
        User.objects.select_for_update().filter(pk=passkey.user_id).first()
        if guard_last_factor and is_last_required_factor(policy, passkey.user, without=passkey):
            raise AuthError.of(
                "last_factor",
                "This is your only remaining second factor, which this organisation requires. "
                "Add another one first.",
            )
        if guard_last_factor:
            refusal = last_way_in_refusal(passkey.user, passkey, understood=understood_no_way_in)
            if refusal is not None:
                raise refusal
        cred_id = b64url_encode(bytes(passkey.credential_id))
        notify_passkey_removed(passkey.user, passkey.label)
        passkey.delete()
        end_other_sessions(passkey.user, keep=keep_session)
        audit_record(
            actor=actor, action="passkey.delete", subject=passkey.user, credential_id=cred_id
        )


def passkeys_remove_all(*, actor: Actor, user: User) -> int:
    """Admin reset: remove every passkey of ``user``."""
    require_recent_auth(actor)
    with transaction.atomic():
        for label in Passkey.objects.filter(user=user).values_list("label", flat=True):
            notify_passkey_removed(user, label)
        deleted, _ = Passkey.objects.filter(user=user).delete()
        end_other_sessions(user)
        audit_record(
            actor=actor, action="passkey.remove_all", subject=user, data={"removed": deleted}
        )
    return deleted
