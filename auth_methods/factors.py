"""Sign-in factors behind one small contract, so rules never branch on the factor's type."""

from __future__ import annotations

from typing import ClassVar, Protocol

from auth_methods.errors import AuthError
from auth_methods.models import Passkey, TotpDevice, User
from auth_methods.policy import OrgPolicy
from auth_methods.recovery_codes.services import recovery_codes_left


class Factor(Protocol):
    kind: ClassVar[str]

    def is_usable(self, user: User, *, exclude_passkey: Passkey | None = None) -> bool:
        """Whether ``user`` can pass this factor now (ignoring one passkey being removed)."""
        ...


class PasskeyFactor:
    kind: ClassVar[str] = "passkey"

    def is_usable(self, user: User, *, exclude_passkey: Passkey | None = None) -> bool:
        rows = Passkey.objects.filter(user=user, flagged=False)
        if exclude_passkey is not None:
            rows = rows.exclude(pk=exclude_passkey.pk)
        return rows.exists()


class TotpFactor:
    kind: ClassVar[str] = "totp"

    def is_usable(self, user: User, *, exclude_passkey: Passkey | None = None) -> bool:
        return TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).exists()


class RecoveryCodeFactor:
    kind: ClassVar[str] = "recovery_code"

    def is_usable(self, user: User, *, exclude_passkey: Passkey | None = None) -> bool:
        return recovery_codes_left(user) > 0


# The order is the order a chooser offers them in: strongest first.
FACTORS: tuple[Factor, ...] = (PasskeyFactor(), TotpFactor(), RecoveryCodeFactor())


def usable_factors(user: User, *, exclude_passkey: Passkey | None = None) -> list[str]:
    return [f.kind for f in FACTORS if f.is_usable(user, exclude_passkey=exclude_passkey)]


def is_last_required_factor(
    policy: OrgPolicy,
    user: User,
    *,
    removing: str = PasskeyFactor.kind,
    exclude_passkey: Passkey | None = None,
) -> bool:
    """True when the org requires a second factor and the removal leaves ``user`` none.

    ``removing`` is the kind going away. For one passkey, pass it as ``exclude_passkey``:
    the user's other passkeys still count. Otherwise the whole kind is discounted."""
    if not policy.mfa_required:
        return False
    left = usable_factors(user, exclude_passkey=exclude_passkey)
    if exclude_passkey is None:
        left = [kind for kind in left if kind != removing]
    return not left


def removes_last_way_in(user: User, passkey: Passkey) -> bool:
    """True when deleting ``passkey`` leaves ``user`` no way to sign in by themself: no
    password and no other working passkey. (A flagged passkey is no way in already.)"""
    if user.has_usable_password() or passkey.flagged:
        return False
    return not PasskeyFactor().is_usable(user, exclude_passkey=passkey)


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
