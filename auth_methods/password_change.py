"""A signed-in person changes their own password, sets a first one on a passwordless
account, or removes it while a passkey still signs them in: the one service behind every door
that offers it.

No current password is asked. The step-up rule already asks for proof of identity within the
last ten minutes (the password, or a passkey for whoever has none), through
``/login/confirm``, which is rate-limited like every password attempt; a second copy of that
question here would add a second guessing door to throttle and would shut out the passkey
user who sets a first password. A recovery-link session is never recent here: it proves only
that its holder reads the user's mail, which must not be enough to choose a password.
"""

from __future__ import annotations

from django.contrib.sessions.backends.base import SessionBase
from django.db import transaction

from auth_methods import policy_checks as checks
from auth_methods.audit import Actor, audit_record
from auth_methods.errors import AuthError
from auth_methods.factors import holds_passwordless_factor, password_removal_refusal
from auth_methods.models import AuditEvent, User
from auth_methods.notifications import notify_password_changed, notify_password_removed
from auth_methods.password_strength import check_new_password
from auth_methods.policy import OrgPolicy
from auth_methods.reauth import require_recent_auth
from auth_methods.session_revocation import end_other_sessions

CHANGE = "password.change"
REMOVE = "password.remove"
FIELD = "new_password"


def password_refusal(policy: OrgPolicy, user: User) -> AuthError | None:
    """Why ``user`` may not choose a password (None: they may). A password the policy would
    refuse at sign-in (``passwordless_only`` for a passkey holder) is not worth setting, and
    a first one would be a way in the organisation asked them not to have."""
    return checks.password_refusal(
        policy, holds_passwordless_factor=holds_passwordless_factor(user)
    )


def password_change(
    *,
    actor: Actor,
    user: User,
    policy: OrgPolicy,
    new_password: str,
    keep_session: SessionBase | None = None,
) -> None:
    """Store ``new_password`` (hashed with the configured hasher) as ``user``'s password,
    audited as "password.change" and emailed to them. Every session of ``user`` but
    ``keep_session`` ends, and with them what the OpenID Provider granted: whoever knew the
    old password may be signed in with it."""
    require_recent_auth(actor)
    try:
        refusal = password_refusal(policy, user)
        if refusal is not None:
            raise refusal
        check_new_password(new_password, user=user, field=FIELD)
    except AuthError as exc:
        _audit_failure(actor, CHANGE, user, exc)
        raise
    with transaction.atomic():
        first = not User.objects.select_for_update().get(pk=user.pk).has_usable_password()
        user.set_password(new_password)
        user.save(update_fields=["password"])
        end_other_sessions(user, keep=keep_session)
        audit_record(actor=actor, action=CHANGE, subject=user, data={"first": first})
        notify_password_changed(user, first=first)


def password_remove(
    *, actor: Actor, user: User, policy: OrgPolicy, keep_session: SessionBase | None = None
) -> None:
    """Remove ``user``'s password, audited as "password.remove" and emailed to them; refused
    with ``last_factor`` unless a passkey still signs them in. Every session of ``user`` but
    ``keep_session`` ends, as for a change: whoever knew the password may be signed in."""
    require_recent_auth(actor)
    with transaction.atomic():
        # Locked: a concurrent removal of the last passkey (which locks the owner too) waits.
        locked = User.objects.select_for_update().get(pk=user.pk)
        refusal = (
            AuthError.of("not_found", "You have no password to remove.")
            if not locked.has_usable_password()
            else password_removal_refusal(policy, locked)
        )
        if refusal is None:
            user.set_unusable_password()
            user.save(update_fields=["password"])
            end_other_sessions(user, keep=keep_session)
            audit_record(actor=actor, action=REMOVE, subject=user)
            notify_password_removed(user)
    if refusal is not None:
        _audit_failure(actor, REMOVE, user, refusal)
        raise refusal


def _audit_failure(actor: Actor, action: str, user: User, error: AuthError) -> None:
    # Outside the service's transaction, so the trail survives the refusal.
    audit_record(
        actor=actor,
        action=action,
        outcome=AuditEvent.Outcome.FAILURE,
        code=error.code,
        subject=user,
    )
