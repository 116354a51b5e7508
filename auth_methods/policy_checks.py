"""Pure checks of an organisation's policy: the gates before a ceremony starts, and the rules
applied to the facts a verified ceremony yields (``ceremony.py`` extracts them). Each check
returns ``None`` or raises the contract's ``AuthError``."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.db.models import Q

from auth_methods import errors
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


def check_login_allowed(policy: OrgPolicy) -> None:
    """Before ``authenticate/options`` and again at ``authenticate``."""
    if not policy.passkey_login_enabled:
        raise errors.PASSKEY_LOGIN_DISABLED.with_detail(
            "This organisation does not allow signing in with passkeys."
        )


def _presence_and_verification(policy: OrgPolicy, up: bool, uv: bool) -> None:
    if not up:
        raise errors.USER_PRESENCE_REQUIRED.with_detail(
            "The authenticator did not set the UP flag."
        )
    if policy.user_verification == "required" and not uv:
        raise errors.USER_VERIFICATION_REQUIRED.with_detail(
            "This organisation requires user verification and the UV flag is not set.",
        )


def _canonical_aaguid(aaguid: str) -> str:
    try:
        return str(uuid.UUID(aaguid))
    except ValueError:
        return aaguid.lower()  # never equal to a validated allow-list entry: refused


def _aaguid_listed(policy: OrgPolicy, aaguid: str) -> bool:
    return _canonical_aaguid(aaguid) in policy.allowed_aaguids


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
    _presence_and_verification(policy, v.user_present, v.user_verified)
    if v.alg not in policy.algorithms:
        raise errors.ALGORITHM_NOT_ALLOWED.with_detail(f"Algorithm {v.alg} is not allowed.")
    _attestation(policy, v)
    wanted = policy.authenticator_attachment
    # The attachment is reported by the client, unsigned: a contradiction is refused, a
    # missing value is accepted. Only an attested allow-list truly pins the authenticator.
    if wanted != "any" and v.attachment is not None and v.attachment != wanted:
        raise errors.AUTHENTICATOR_NOT_ALLOWED.with_detail(
            f"This organisation allows only {wanted} authenticators; this one is {v.attachment}.",
        )
    if not policy.allow_synced_passkeys and v.backup_eligible:
        raise errors.AUTHENTICATOR_NOT_ALLOWED.with_detail(
            "This organisation does not allow synced (backup-eligible) passkeys.",
        )


def check_authentication(
    policy: OrgPolicy, a: VerifiedAssertion, stored: StoredCredentialFacts
) -> None:
    """The policy's rules for a verified assertion, in this order: presence, verification,
    the flag (a suspected clone is refused whatever else holds), synced passkeys (the stored
    or the new BE flag), the stored algorithm, then the attested AAGUID allow-list. Attachment
    is not checked: at sign-in the client reports it unsigned, and the contract says so."""
    _presence_and_verification(policy, a.user_present, a.user_verified)
    if stored.flagged:
        raise errors.CREDENTIAL_FLAGGED.with_detail(
            "This credential is flagged as a possible clone; its owner or an admin must clear "
            "or delete it.",
        )
    if not policy.allow_synced_passkeys and (stored.backup_eligible or a.backup_eligible):
        raise errors.AUTHENTICATOR_NOT_ALLOWED.with_detail(
            "This organisation does not allow synced (backup-eligible) passkeys.",
        )
    if stored.algorithm is not None and stored.algorithm not in policy.algorithms:
        raise errors.ALGORITHM_NOT_ALLOWED.with_detail(
            f"This passkey uses algorithm {stored.algorithm}, "
            "which the organisation no longer allows.",
        )
    # A credential registered before the list was set is held to it too: only an AAGUID
    # proven by trusted attestation counts.
    if policy.allowed_aaguids and not (
        stored.aaguid_attested and _aaguid_listed(policy, stored.aaguid)
    ):
        raise errors.AUTHENTICATOR_NOT_ALLOWED.with_detail(
            "This passkey's authenticator model is not proven to be in the allow-list.",
        )


def sign_count_regressed(stored: int, new: int) -> bool:
    """WebAuthn §7.2: a counter that did not grow, while either value is non-zero. Synced
    passkeys that always report 0 never regress."""
    return (stored != 0 or new != 0) and new <= stored


def sign_count_accepted(new: int) -> Q:
    """``not sign_count_regressed(row.sign_count, new)`` as a condition on the stored row, so
    one conditional UPDATE both decides and writes: concurrent assertions are then ordered by
    the row lock, and the later one is judged against the counter the earlier one stored.
    (Stored counters are never negative, so for ``new > 0`` only ``stored < new`` passes.)"""
    return Q(sign_count=0) if new == 0 else Q(sign_count__lt=new)
