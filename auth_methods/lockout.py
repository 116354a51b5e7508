"""Would a policy change lock someone out? A pre-flight for the auth-settings page.

A user is listed when they can sign in under the current policy and cannot under the
proposed one: none of their passkeys would pass the sign-in rules and the password door is
shut too. Each passkey is judged by the very checks the ceremony runs
(``policy_checks.sign_in_refusals``) on the facts of the assertion it would make, plus the RP
ID it is bound to; attachment is not among them (sign-in does not check it, per the contract).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache

from django.db.models import Exists, OuterRef, Prefetch

from auth_methods import policy_checks as checks
from auth_methods.factors import PASSKEY, usable_factors
from auth_methods.models import Passkey, User
from auth_methods.passkeys.selectors import likely_assertion, stored_facts
from auth_methods.policy import OrgPolicy, effective_rp_id
from auth_methods.policy_fields import POLICY_TABLE, Affects

# What each policy field can affect comes from the policy-field table. Fields that only shape
# new registrations: a change never stops an existing passkey.
REGISTRATION_ONLY = {
    row.name: row.label for row in POLICY_TABLE if row.affects is Affects.REGISTRATION
}
# Fields that decide who can sign in (passkey or password door): only a change to one of them
# can lock someone out, so only then are users read.
SIGN_IN_FIELDS = tuple(row.name for row in POLICY_TABLE if row.affects is Affects.SIGN_IN)


@dataclass(frozen=True)
class LockedOutUser:
    user_id: int
    email: str
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class LockoutPreview:
    users: tuple[LockedOutUser, ...]
    # Changed fields that affect new registrations only, one sentence each.
    registration_notes: tuple[str, ...] = ()

    @property
    def count(self) -> int:
        return len(self.users)

    @property
    def fingerprint(self) -> str:
        """Names exactly this list of users and reasons: a confirmation given for one list
        must not save a change that has since come to lock out other people."""
        text = "\n".join(f"{u.user_id}:{'|'.join(u.reasons)}" for u in self.users)
        return hashlib.sha256(text.encode()).hexdigest()[:32]


def passkey_blockers(policy: OrgPolicy, passkey: Passkey, *, rp_id_changed: bool) -> list[str]:
    """Why ``passkey`` could not sign in under ``policy`` (empty: it works)."""
    refusals = checks.sign_in_refusals(policy, likely_assertion(passkey), stored_facts(passkey))
    reasons = [refusal.detail for refusal in refusals]
    if rp_id_changed:
        # A passkey is bound to the RP ID it was created for; no authenticator offers it
        # for another one (the ceremony's RP ID hash step).
        reasons.append(f"The RP ID changes to {effective_rp_id(policy)}.")
    return reasons


def _password_blocker(
    policy: OrgPolicy, user: User, passkeys: Sequence[Passkey], other_factor: Callable[[], bool]
) -> str | None:
    """Why the password cannot get ``user`` in once no passkey works (None: it can)."""
    if not user.has_usable_password():
        return "they have no password"
    # The password rule counts every passkey that is not flagged, working or not (as
    # ``factors.holds_passwordless_factor`` does, here from the passkeys already loaded).
    if checks.password_refusal(
        policy, holds_passwordless_factor=any(not p.flagged for p in passkeys)
    ):
        return "passwordless-only refuses the password of anyone holding a passkey"
    if checks.second_factor_missing(policy, holds_second_factor=other_factor):
        return "a second factor is required and they have no other"
    return None


def _other_second_factor(user: User) -> Callable[[], bool]:
    """Whether a factor other than the passkeys (judged above) is usable; asked at most once
    per user."""
    return cache(lambda: bool(usable_factors(user, without=PASSKEY)))


def _assess(
    current: OrgPolicy, proposed: OrgPolicy, user: User, rp_id_changed: bool
) -> LockedOutUser | None:
    passkeys = list(user.passkeys.all())
    before = [passkey_blockers(current, p, rp_id_changed=False) for p in passkeys]
    after = [passkey_blockers(proposed, p, rp_id_changed=rp_id_changed) for p in passkeys]
    if not all(after):
        return None  # a passkey still works
    other = _other_second_factor(user)
    shut = _password_blocker(proposed, user, passkeys, other)
    if shut is None:
        return None
    if all(before) and _password_blocker(current, user, passkeys, other) is not None:
        return None  # already shut out today: this change takes nothing away
    new = [r for old, now in zip(before, after, strict=True) for r in now if r not in old]
    return LockedOutUser(user.pk, user.email, (*dict.fromkeys(new), shut))


def _access_rules(policy: OrgPolicy) -> tuple[object, ...]:
    return (effective_rp_id(policy), *(getattr(policy, name) for name in SIGN_IN_FIELDS))


def registration_notes(current: OrgPolicy, proposed: OrgPolicy) -> tuple[str, ...]:
    return tuple(
        f"{label}: affects new registrations only; existing passkeys keep working."
        for name, label in REGISTRATION_ONLY.items()
        if getattr(current, name) != getattr(proposed, name)
    )


def lockout_preview(current: OrgPolicy, proposed: OrgPolicy) -> LockoutPreview:
    """Who would lose their only way in if ``proposed`` replaced ``current`` (in the current
    org's schema). Two queries, plus one per user whose fate hangs on a non-passkey factor."""
    notes = registration_notes(current, proposed)
    if _access_rules(current) == _access_rules(proposed):
        return LockoutPreview(users=(), registration_notes=notes)
    rp_id_changed = effective_rp_id(current) != effective_rp_id(proposed)
    # Only someone holding a passkey today can lose access through these rules.
    users = (
        User.objects.filter(is_active=True)
        .filter(Exists(Passkey.objects.filter(user=OuterRef("pk"))))
        .only("id", "email", "password")
        .prefetch_related(Prefetch("passkeys", queryset=Passkey.objects.defer("public_key")))
        .order_by("email")
    )
    locked = []
    for user in users.iterator(chunk_size=1000):
        found = _assess(current, proposed, user, rp_id_changed)
        if found is not None:
            locked.append(found)
    return LockoutPreview(users=tuple(locked), registration_notes=notes)
