"""Pure checks of an organisation's policy: the gates before a ceremony starts, and the rules
applied to the facts a verified ceremony yields (``ceremony.py`` extracts them). Each check
returns ``None`` or raises the contract's ``AuthError``."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Q

from auth_methods import errors
from auth_methods.errors import AuthError
from auth_methods.policy import OrgPolicy


@dataclass(frozen=True)
class VerifiedRegistration:
    aaguid: str
    alg: int
    user_present: bool
    user_verified: bool
    backup_eligible: bool
    backed_up: bool
    attestation_type: str  # "none" | "self" | "trusted" | "untrusted"
    attachment: str | None  # as reported by the client, unsigned
    fmt: str


@dataclass(frozen=True)
class VerifiedAssertion:
    user_present: bool
    user_verified: bool
    backup_eligible: bool
    backed_up: bool
    sign_count: int


@dataclass(frozen=True)
class StoredCredentialFacts:
    aaguid: str
    aaguid_attested: bool
    backup_eligible: bool
    flagged: bool
    sign_count: int
    algorithm: int | None = None


@dataclass(frozen=True)
class AuthenticatorClaims:
    """What the authenticator data says before any signature over it is checked: enough to
    refuse early with the precise code (accepting still waits for the signature)."""

    user_present: bool
    user_verified: bool
    algorithm: int | None = None  # a new credential's public-key algorithm (registration)


def self_signup_open(policy: OrgPolicy) -> bool:
    """People may create their own account only while they could also register the passkey
    that is to be their only way in."""
    return policy.self_signup_enabled and policy.passkey_registration_enabled


def check_registration_allowed(policy: OrgPolicy, *, passkey_count: int) -> None:
    """Before ``register/options`` and again at ``register`` (the user may have reached the
    limit meanwhile): registration is on and the user holds fewer than the limit."""
    if not policy.passkey_registration_enabled:
        raise errors.PASSKEY_REGISTRATION_DISABLED.with_detail(
            "This organisation does not allow registering passkeys."
        )
    if passkey_count >= policy.max_passkeys_per_user:
        raise errors.PASSKEY_LIMIT_REACHED.with_detail(
            f"The user already holds {passkey_count} passkeys, the organisation's limit."
        )


def _login_disabled(policy: OrgPolicy) -> AuthError | None:
    if policy.passkey_login_enabled:
        return None
    return errors.PASSKEY_LOGIN_DISABLED.with_detail(
        "This organisation does not allow signing in with passkeys."
    )


def check_login_allowed(policy: OrgPolicy) -> None:
    """Before ``authenticate/options`` and again at ``authenticate``."""
    if refusal := _login_disabled(policy):
        raise refusal


def _presence(policy: OrgPolicy, up: bool) -> AuthError | None:
    if up:
        return None
    return errors.USER_PRESENCE_REQUIRED.with_detail("The authenticator did not set the UP flag.")


def _verification(policy: OrgPolicy, uv: bool) -> AuthError | None:
    if policy.user_verification != "required" or uv:
        return None
    return errors.USER_VERIFICATION_REQUIRED.with_detail(
        "This organisation requires user verification (PIN or biometrics) and the passkey "
        "did not verify its user (no UV flag).",
    )


def _algorithm(policy: OrgPolicy, alg: int | None) -> AuthError | None:
    if alg is None or alg in policy.algorithms:
        return None
    return errors.ALGORITHM_NOT_ALLOWED.with_detail(
        f"Algorithm {alg} is not among the organisation's allowed algorithms "
        f"{list(policy.algorithms)}.",
    )


def _synced(policy: OrgPolicy, backup_eligible: bool) -> AuthError | None:
    if policy.allow_synced_passkeys or not backup_eligible:
        return None
    return errors.AUTHENTICATOR_NOT_ALLOWED.with_detail(
        "This organisation does not allow synced (backup-eligible) passkeys.",
    )


def canonical_aaguid(aaguid: str) -> str:
    """The one spelling an AAGUID is compared in (lower-case, hyphenated)."""
    try:
        return str(uuid.UUID(aaguid))
    except ValueError:
        return aaguid.lower()  # never equal to a validated allow-list entry: refused


def _aaguid_listed(policy: OrgPolicy, aaguid: str) -> bool:
    return canonical_aaguid(aaguid) in policy.allowed_aaguids


def check_claims(policy: OrgPolicy, claims: AuthenticatorClaims) -> None:
    """Presence, verification and (at registration) the algorithm, on the authenticator's
    claims: the ceremony asks this before checking the signature, so these refusals get
    their own codes; ``check_registration``/``check_authentication`` ask it again on the
    verified facts."""
    for refusal in (
        _presence(policy, claims.user_present),
        _verification(policy, claims.user_verified),
        _algorithm(policy, claims.algorithm),
    ):
        if refusal:
            raise refusal


def _attestation(policy: OrgPolicy, v: VerifiedRegistration) -> None:
    # A non-empty AAGUID allow-list is only meaningful for a proven AAGUID, so it implies
    # trusted attestation: an unattested AAGUID is whatever the client chose to say.
    if not (policy.require_trusted_attestation or policy.allowed_aaguids):
        return
    if v.attestation_type == "none":
        raise errors.ATTESTATION_REQUIRED.with_detail(
            "This organisation requires a verifiable attestation and the response has none.",
        )
    if v.attestation_type != "trusted":
        raise errors.ATTESTATION_UNTRUSTED.with_detail(
            f"The {v.attestation_type} attestation does not chain to a trusted root.",
        )
    if policy.allowed_aaguids and not _aaguid_listed(policy, v.aaguid):
        raise errors.AUTHENTICATOR_NOT_ALLOWED.with_detail(
            f"The authenticator model {v.aaguid} is not in this organisation's allow-list.",
        )


def check_registration(policy: OrgPolicy, v: VerifiedRegistration) -> None:
    """The policy's rules for a verified registration, in this order: presence, then
    verification, algorithm, attestation trust and the AAGUID allow-list (signed facts, so the
    most specific answer comes first), then the client-reported attachment and the
    synced-passkey rule."""
    check_claims(policy, AuthenticatorClaims(v.user_present, v.user_verified, v.alg))
    _attestation(policy, v)
    wanted = policy.authenticator_attachment
    # The attachment is reported by the client, unsigned: a contradiction is refused, a
    # missing value is accepted. Only an attested allow-list truly pins the authenticator.
    if wanted != "any" and v.attachment is not None and v.attachment != wanted:
        raise errors.AUTHENTICATOR_NOT_ALLOWED.with_detail(
            f"This organisation allows only {wanted} authenticators; this one is {v.attachment}.",
        )
    if refusal := _synced(policy, v.backup_eligible):
        raise refusal


def _flagged(stored: StoredCredentialFacts) -> AuthError | None:
    if not stored.flagged:
        return None
    return errors.CREDENTIAL_FLAGGED.with_detail(
        "This credential is flagged as a possible clone; its owner or an admin must clear "
        "or delete it.",
    )


def _aaguid_proven(policy: OrgPolicy, stored: StoredCredentialFacts) -> AuthError | None:
    # A credential registered before the list was set is held to it too: only an AAGUID
    # proven by trusted attestation counts.
    if not policy.allowed_aaguids or (
        stored.aaguid_attested and _aaguid_listed(policy, stored.aaguid)
    ):
        return None
    return errors.AUTHENTICATOR_NOT_ALLOWED.with_detail(
        "This passkey's authenticator model is not proven to be in the allow-list.",
    )


def authentication_refusals(
    policy: OrgPolicy, a: VerifiedAssertion, stored: StoredCredentialFacts
) -> list[AuthError]:
    """Every sign-in rule that ``a`` (made with ``stored``) breaks, in this order: presence,
    verification, the flag (a suspected clone is refused whatever else holds), synced passkeys
    (the stored or the new BE flag), the stored algorithm, then the attested AAGUID allow-list.
    Attachment is not checked: at sign-in the client reports it unsigned, and the contract
    says so. The ceremony refuses with the first; the lockout preview lists them all."""
    found = (
        _presence(policy, a.user_present),
        _verification(policy, a.user_verified),
        _flagged(stored),
        _synced(policy, stored.backup_eligible or a.backup_eligible),
        _algorithm(policy, stored.algorithm),
        _aaguid_proven(policy, stored),
    )
    return [refusal for refusal in found if refusal is not None]


def check_authentication(
    policy: OrgPolicy, a: VerifiedAssertion, stored: StoredCredentialFacts
) -> None:
    """The policy's rules for a verified assertion (see ``authentication_refusals``)."""
    if refusals := authentication_refusals(policy, a, stored):
        raise refusals[0]


def sign_in_refusals(
    policy: OrgPolicy, a: VerifiedAssertion, stored: StoredCredentialFacts
) -> list[AuthError]:
    """Everything the policy would refuse a sign-in for: passkey sign-in switched off, then
    the assertion's rules. What the ceremony checks, step by step, in one list."""
    off = _login_disabled(policy)
    return ([off] if off else []) + authentication_refusals(policy, a, stored)


# --- the password door and the factors after it -------------------------------------------


def password_refusal(policy: OrgPolicy, *, holds_passwordless_factor: bool) -> AuthError | None:
    """``passwordless_only``: whoever holds a factor that signs in alone (a passkey) may not
    use the password."""
    if not (policy.passwordless_only and holds_passwordless_factor):
        return None
    return errors.FORBIDDEN.with_detail("This organisation asks you to sign in with your passkey.")


def second_step_due(policy: OrgPolicy, *, holds_second_factor: bool) -> bool:
    """After a password: a second step when the org requires one (``mfa_required``) or the
    user has set one up."""
    return policy.mfa_required or holds_second_factor


def recovery_second_step_due(policy: OrgPolicy, *, holds_other_factor: bool) -> bool:
    """After a recovery link, which stands in for a lost passkey only: the factor the user
    still holds is asked first where the org requires a second factor (``mfa_required``)."""
    return policy.mfa_required and holds_other_factor


def second_factor_missing(policy: OrgPolicy, *, holds_second_factor: Callable[[], bool]) -> bool:
    """``mfa_required`` and the user would have no second factor: the password alone cannot
    get them in, and the last factor may not be removed. ``holds_second_factor`` is asked
    only when the org requires one (it may cost a query)."""
    return policy.mfa_required and not holds_second_factor()


def passkey_enrolment_open(policy: OrgPolicy, *, passkey_count: int) -> bool:
    """A passkey may be set up as the second factor ``mfa_required`` asks for: registration is
    open to this user (``check_registration_allowed``) and the passkey could then sign in
    (otherwise enrolling it would leave the person exactly where they were)."""
    try:
        check_registration_allowed(policy, passkey_count=passkey_count)
    except AuthError:
        return False
    return _login_disabled(policy) is None


def passkey_alone_refusal(policy: OrgPolicy, *, user_verified: bool) -> AuthError | None:
    """A passkey used with no password first must satisfy ``mfa_required`` on its own: only a
    passkey that verifies its user counts as two factors. Asked of a sign-in (below), of a
    stored passkey by the lockout preview, and before a password is removed."""
    if not second_factor_missing(policy, holds_second_factor=lambda: user_verified):
        return None
    return errors.USER_VERIFICATION_REQUIRED.with_detail(
        "This organisation requires two factors: use a passkey that verifies you "
        "(PIN or biometrics), or sign in with your password first.",
    )


def check_passkey_alone(policy: OrgPolicy, *, after_password: bool, user_verified: bool) -> None:
    """A browser sign-in with a passkey and no password first (``passkey_alone_refusal``)."""
    refusal = None if after_password else passkey_alone_refusal(policy, user_verified=user_verified)
    if refusal is not None:
        raise refusal


def sign_count_regressed(stored: int, new: int) -> bool:
    """WebAuthn §7.2: a counter that did not grow, while either value is non-zero. Synced
    passkeys that always report 0 never regress."""
    return (stored != 0 or new != 0) and new <= stored


def sign_count_accepted_below(new: int) -> int:
    """``not sign_count_regressed(stored, new)`` as a bound: the stored counter must be below
    it. Stored counters are never negative, so for ``new == 0`` only ``stored == 0`` passes and
    for ``new > 0`` only ``stored < new``. One conditional UPDATE (``sign_count < bound``) then
    both decides and writes: concurrent assertions are ordered by the row lock, and the later
    one is judged against the counter the earlier one stored."""
    return max(new, 1)


def sign_count_accepted(new: int) -> Q:
    """``sign_count_accepted_below`` as an ORM condition on the stored row."""
    return Q(sign_count__lt=sign_count_accepted_below(new))
