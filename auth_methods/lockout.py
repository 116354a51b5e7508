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

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db.models import Exists, OuterRef, Prefetch, Q

from auth_methods import policy_checks as checks
from auth_methods.factors import PASSKEY, enrolable_factors, usable_factors
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
    # Not locked out: under ``mfa_required`` they must set up a second factor after their
    # password, inside that half-done sign-in, before they are signed in.
    must_enrol: bool = False


@dataclass(frozen=True)
class LockoutPreview:
    users: tuple[LockedOutUser, ...]  # left with no way in
    # Changed fields that affect new registrations only, one sentence each.
    registration_notes: tuple[str, ...] = ()
    must_enrol: tuple[LockedOutUser, ...] = ()  # newly sent to the enrolment step

    @property
    def count(self) -> int:
        return len(self.users)

    @property
    def needs_confirmation(self) -> bool:
        return bool(self.users or self.must_enrol)

    @property
    def fingerprint(self) -> str:
        """Names exactly these lists of users and reasons: a confirmation given for one list
        must not save a change that has since come to lock out (or stop) other people."""
        text = "\n".join(
            f"{'enrol:' if u.must_enrol else ''}{u.user_id}:{'|'.join(u.reasons)}"
            for u in (*self.users, *self.must_enrol)
        )
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


def _password_blocker(policy: OrgPolicy, user: User, passkeys: Sequence[Passkey]) -> str | None:
    """Why the password cannot get ``user`` in once no passkey works (None: it can)."""
    if not user.has_usable_password():
        return "they have no password"
    # The password rule counts every passkey that is not flagged, working or not (as
    # ``factors.holds_passwordless_factor`` does, here from the passkeys already loaded).
    if checks.password_refusal(
        policy, holds_passwordless_factor=any(not p.flagged for p in passkeys)
    ):
        return "passwordless-only refuses the password of anyone holding a passkey"
    return None


def _other_second_factor(user: User) -> Callable[[], bool]:
    """Whether a factor other than the passkeys (judged above) is usable; asked at most once
    per user."""
    return cache(lambda: bool(usable_factors(user, without=PASSKEY)))


@dataclass(frozen=True)
class _Access:
    """How ``user`` gets in under one policy: ``shut`` says why they cannot (None: they can);
    ``enrol`` names the factors they may set up after their password, one of which they must
    before they are signed in (sign-in's enrolment step, ``enrolment.py``)."""

    passkey_reasons: list[list[str]]
    shut: str | None = None
    enrol: tuple[str, ...] = ()


def _access(
    policy: OrgPolicy,
    user: User,
    passkeys: Sequence[Passkey],
    rp_id_changed: bool,
    other_factor: Callable[[], bool],
) -> _Access:
    reasons = [passkey_blockers(policy, p, rp_id_changed=rp_id_changed) for p in passkeys]
    working = [p for p, why in zip(passkeys, reasons, strict=True) if not why]
    alone = [checks.passkey_alone_refusal(policy, user_verified=p.user_verified) for p in working]
    if any(refusal is None for refusal in alone):
        return _Access(reasons)  # a passkey still signs in on its own
    shut = _password_blocker(policy, user, passkeys)
    if shut is not None:
        # A passkey that works only after a password is no way in without one.
        return _Access(reasons, shut=f"{NOT_ALONE}, and {shut}" if working else shut)
    # After the password, a working passkey is a second factor even where it is not two alone.
    if working or not checks.second_factor_missing(policy, holds_second_factor=other_factor):
        return _Access(reasons)
    # The password gets them to the enrolment step: a way in if it offers them something.
    enrol = tuple(f.noun for f in enrolable_factors(user, policy=policy))
    if not enrol:
        return _Access(reasons, shut=NOTHING_TO_ENROL)
    return _Access(reasons, enrol=enrol)


NOT_ALONE = (
    "two factors are required and their passkeys do not verify them (PIN or biometrics) "
    "to sign in without a password"
)
NOTHING_TO_ENROL = (
    "a second factor is required, they have none and the policy lets them set none up"
)


def _assess(
    current: OrgPolicy, proposed: OrgPolicy, user: User, rp_id_changed: bool
) -> LockedOutUser | None:
    """Whether ``proposed`` takes ``user``'s last way in (a ``LockedOutUser`` whose
    ``must_enrol`` is False) or newly sends them to set up a second factor after their
    password (``must_enrol`` True); None when it changes neither."""
    passkeys = list(user.passkeys.all())
    other = _other_second_factor(user)
    after = _access(proposed, user, passkeys, rp_id_changed, other)
    if after.shut is None and not after.enrol:
        return None
    before = _access(current, user, passkeys, False, other)
    if after.enrol:
        if before.enrol or before.shut is not None:
            return None  # they had to enrol already, or had no way in: nothing is taken
        names = " or ".join(after.enrol)
        return LockedOutUser(
            user.pk,
            user.email,
            (
                f"a second factor is required and they have none: they must set up {names} "
                "after their password",
            ),
            must_enrol=True,
        )
    if after.shut is None or before.shut is not None:
        return None  # already shut out today: this change takes nothing away
    new = [
        r
        for old, now in zip(before.passkey_reasons, after.passkey_reasons, strict=True)
        for r in now
        if r not in old
    ]
    return LockedOutUser(user.pk, user.email, (*dict.fromkeys(new), after.shut))


def no_way_in(current: OrgPolicy, proposed: OrgPolicy, user: User) -> tuple[str, ...]:
    """Why ``user`` could not sign in at all under ``proposed`` (empty: they can, if need be
    after setting up a second factor), judged as the preview judges everyone; for an admin
    about to save a policy, whatever their state today."""
    passkeys = list(user.passkeys.all())
    rp_id_changed = effective_rp_id(current) != effective_rp_id(proposed)
    access = _access(proposed, user, passkeys, rp_id_changed, _other_second_factor(user))
    if access.shut is None:
        return ()
    found = [r for reasons in access.passkey_reasons for r in reasons]
    return (*dict.fromkeys(found), access.shut)


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
    org's schema), and who would newly have to set up a second factor after their password.
    Two queries, plus a few per user whose fate hangs on a non-passkey factor."""
    notes = registration_notes(current, proposed)
    if _access_rules(current) == _access_rules(proposed):
        return LockoutPreview(users=(), registration_notes=notes)
    rp_id_changed = effective_rp_id(current) != effective_rp_id(proposed)
    # Only someone with a passkey or a password today can lose access through these rules
    # (Django marks an unusable password with a leading "!").
    users = (
        User.objects.filter(is_active=True)
        .filter(
            Exists(Passkey.objects.filter(user=OuterRef("pk")))
            | (~Q(password__startswith=UNUSABLE_PASSWORD_PREFIX) & ~Q(password=""))
        )
        .only("id", "email", "password")
        .prefetch_related(Prefetch("passkeys", queryset=Passkey.objects.defer("public_key")))
        .order_by("email")
    )
    locked: list[LockedOutUser] = []
    enrol: list[LockedOutUser] = []
    for user in users.iterator(chunk_size=1000):
        found = _assess(current, proposed, user, rp_id_changed)
        if found is not None:
            (enrol if found.must_enrol else locked).append(found)
    return LockoutPreview(users=tuple(locked), registration_notes=notes, must_enrol=tuple(enrol))
