"""Sign-in factors behind one small contract, so rules never branch on the factor's type.

``mfa_required``, ``passwordless_only``, the second-factor step and the last-factor rule ask
the registry (``FACTORS``) what each factor can do; ``kind`` only names a factor in URLs and
templates.
"""

from __future__ import annotations

from typing import ClassVar, Protocol

from auth_methods import policy_checks as checks
from auth_methods.audit import Actor
from auth_methods.errors import AuthError
from auth_methods.models import Passkey, TotpDevice, User
from auth_methods.passkeys.selectors import likely_assertion, stored_facts
from auth_methods.policy import OrgPolicy
from auth_methods.recovery_codes.services import recovery_codes_left


class Factor(Protocol):
    kind: ClassVar[str]
    # Signs a person in on its own, without a password (``passwordless_only`` then refuses
    # the password of whoever holds one).
    passwordless: ClassVar[bool]
    noun: ClassVar[str]  # how a sentence names it ("they must set up a passkey")

    def is_usable(
        self, user: User, *, policy: OrgPolicy | None = None, without: object = None
    ) -> bool:
        """Whether ``user`` can pass this factor now: under ``policy`` when one is given, and
        not counting ``without``, a record about to be removed (or a whole factor)."""
        ...

    def verify(self, *, policy: OrgPolicy, actor: Actor, user: User, proof: object) -> None:
        """Check ``proof`` (a code, a WebAuthn response) for ``user``; raise ``AuthError``
        when it does not pass. Each factor audits and rate-limits its own attempts."""
        ...

    def can_enrol(self, user: User, *, policy: OrgPolicy) -> bool:
        """Whether ``user`` may set this factor up as the second factor ``mfa_required``
        asks for, in the half-done sign-in after their password (``enrolment.py``)."""
        ...


class PasskeyFactor:
    kind: ClassVar[str] = "passkey"
    passwordless: ClassVar[bool] = True
    noun: ClassVar[str] = "a passkey"

    def is_usable(
        self, user: User, *, policy: OrgPolicy | None = None, without: object = None
    ) -> bool:
        rows = Passkey.objects.filter(user=user, flagged=False)
        if isinstance(without, Passkey):
            rows = rows.exclude(pk=without.pk)
        if policy is None:
            return rows.exists()
        # Under a policy a passkey counts only while the sign-in rules would accept it.
        return any(
            not checks.sign_in_refusals(policy, likely_assertion(p), stored_facts(p))
            for p in rows.defer("public_key")
        )

    def signs_in_alone(self, user: User, *, policy: OrgPolicy) -> bool:
        """Whether a passkey of ``user`` gets them in with no password first: accepted by the
        sign-in rules, and two factors on its own where the org requires two."""
        return any(
            not checks.sign_in_refusals(policy, likely_assertion(p), stored_facts(p))
            and checks.passkey_alone_refusal(policy, user_verified=p.user_verified) is None
            for p in Passkey.objects.filter(user=user, flagged=False).defer("public_key")
        )

    def verify(self, *, policy: OrgPolicy, actor: Actor, user: User, proof: object) -> None:
        from auth_methods.passkeys import services  # services -> ... -> factors: import late

        services.authenticate(
            ctx=services.CeremonyContext(policy=policy, actor=actor),
            credential=proof,
            browser=services.BrowserSignIn(pending_user_id=user.pk),
        )

    def can_enrol(self, user: User, *, policy: OrgPolicy) -> bool:
        # ``passkeys.all()``: the lockout preview has them prefetched, a page asks once.
        return checks.passkey_enrolment_open(policy, passkey_count=len(user.passkeys.all()))


def _code(proof: object) -> str:
    if not isinstance(proof, str):
        raise AuthError("invalid_request", "That code is not valid.", field="code")
    return proof


class TotpFactor:
    kind: ClassVar[str] = "totp"
    passwordless: ClassVar[bool] = False
    noun: ClassVar[str] = "an authenticator app"

    def is_usable(
        self, user: User, *, policy: OrgPolicy | None = None, without: object = None
    ) -> bool:
        rows = TotpDevice.objects.filter(user=user, confirmed_at__isnull=False)
        if isinstance(without, TotpDevice):
            rows = rows.exclude(pk=without.pk)
        return rows.exists()

    def verify(self, *, policy: OrgPolicy, actor: Actor, user: User, proof: object) -> None:
        from auth_methods.totp.services import totp_verify  # it imports this module

        totp_verify(actor=actor, user=user, code=_code(proof))

    def can_enrol(self, user: User, *, policy: OrgPolicy) -> bool:
        return True  # no policy field restricts authenticator apps


class RecoveryCodeFactor:
    kind: ClassVar[str] = "recovery_code"
    passwordless: ClassVar[bool] = False
    noun: ClassVar[str] = "recovery codes"

    def is_usable(
        self, user: User, *, policy: OrgPolicy | None = None, without: object = None
    ) -> bool:
        return recovery_codes_left(user) > 0

    def verify(self, *, policy: OrgPolicy, actor: Actor, user: User, proof: object) -> None:
        from auth_methods.recovery_codes.services import recovery_code_consume

        recovery_code_consume(actor=actor, user=user, code=_code(proof))

    def can_enrol(self, user: User, *, policy: OrgPolicy) -> bool:
        # Codes are the fallback for a lost factor, printed once: not a factor to start with.
        return False


PASSKEY, TOTP, RECOVERY_CODE = PasskeyFactor(), TotpFactor(), RecoveryCodeFactor()
# The order is the order a chooser offers them in: strongest first.
FACTORS: tuple[Factor, ...] = (PASSKEY, TOTP, RECOVERY_CODE)


def factor_of_kind(kind: str) -> Factor:
    for factor in FACTORS:
        if factor.kind == kind:
            return factor
    raise AuthError("not_found", f"No sign-in factor is called {kind!r}.")


def usable_factors(
    user: User, *, policy: OrgPolicy | None = None, without: object = None
) -> list[Factor]:
    """``user``'s factors that pass ``Factor.is_usable``; a factor given as ``without`` is
    left out whole."""
    return [
        f for f in FACTORS if f is not without and f.is_usable(user, policy=policy, without=without)
    ]


def enrolable_factors(user: User, *, policy: OrgPolicy) -> list[Factor]:
    """The factors ``user`` may set up under ``policy`` when a second factor is due and they
    hold none, in chooser order."""
    return [f for f in FACTORS if f.can_enrol(user, policy=policy)]


def holds_passwordless_factor(user: User) -> bool:
    return any(f.passwordless and f.is_usable(user) for f in FACTORS)


def is_last_required_factor(policy: OrgPolicy, user: User, *, without: object) -> bool:
    """True when the org requires a second factor and removing ``without`` (one passkey, the
    authenticator app, or a whole factor) leaves ``user`` none."""
    return checks.second_factor_missing(
        policy, holds_second_factor=lambda: bool(usable_factors(user, without=without))
    )


def removes_last_way_in(user: User, passkey: Passkey) -> bool:
    """True when deleting ``passkey`` leaves ``user`` no way to sign in by themself: no
    password and no other working passkey. (A flagged passkey is no way in already.)"""
    if user.has_usable_password() or passkey.flagged:
        return False
    return not PASSKEY.is_usable(user, without=passkey)


def can_recover_by_email(user: User) -> bool:
    # Integrators may name users by something other than an address: no link can reach them.
    return "@" in user.email


def last_way_in_refusal(user: User, passkey: Passkey, *, understood: bool) -> AuthError | None:
    """Why ``user`` may not delete ``passkey`` themself (None: they may). Their last way in
    goes only when they said they understand that an emailed recovery link is then the one
    way back, and only if such an email can reach them."""
    if not removes_last_way_in(user, passkey):
        return None
    if not can_recover_by_email(user):
        return AuthError.of(
            "last_factor",
            "This passkey is your only way to sign in and no recovery email can reach you. "
            "Add another passkey first.",
        )
    if not understood:
        return AuthError.of(
            "last_factor",
            "This passkey is your only way to sign in: without it, only an emailed recovery "
            "link gets you back in. Add another passkey first, or confirm that you understand.",
        )
    return None


def password_removal_refusal(policy: OrgPolicy, user: User) -> AuthError | None:
    """Why ``user`` may not remove their own password (None: they may). It may go only while
    a passkey that signs in alone under the policy stays: otherwise the password is their
    last way in."""
    if PASSKEY.signs_in_alone(user, policy=policy):
        return None
    if any(f.passwordless for f in usable_factors(user, policy=policy)):
        return AuthError.of(
            "last_factor",
            "This organisation requires two factors, and your passkeys do not verify you (PIN "
            "or biometrics): without your password you could not sign in. Add a passkey that "
            "verifies you first.",
        )
    return AuthError.of(
        "last_factor", "Your password is your only way to sign in: add a passkey first."
    )
