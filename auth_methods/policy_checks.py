"""Pure checks of verified ceremony facts against an organisation's policy."""

from __future__ import annotations

from dataclasses import dataclass

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


def _presence_and_verification(policy: OrgPolicy, up: bool, uv: bool) -> None:
    if not up:
        raise AuthError("user_presence_required", "The authenticator did not set the UP flag.")
    if policy.user_verification == "required" and not uv:
        raise AuthError(
            "user_verification_required",
            "This organisation requires user verification and the UV flag is not set.",
        )


def _attestation(policy: OrgPolicy, v: VerifiedRegistration) -> None:
    # A non-empty AAGUID allow-list is only meaningful for a proven AAGUID, so it implies
    # trusted attestation: an unattested AAGUID is whatever the client chose to say.
    if not (policy.require_trusted_attestation or policy.allowed_aaguids):
        return
    if v.attestation_type == "none":
        raise AuthError(
            "attestation_required",
            "This organisation requires a verifiable attestation and the response has none.",
        )
    if v.attestation_type != "trusted":
        raise AuthError(
            "attestation_untrusted",
            f"The {v.attestation_type} attestation does not chain to a trusted root.",
        )
    if policy.allowed_aaguids and v.aaguid.lower() not in policy.allowed_aaguids:
        raise AuthError(
            "authenticator_not_allowed",
            f"The authenticator model {v.aaguid} is not in this organisation's allow-list.",
        )


def check_registration(policy: OrgPolicy, v: VerifiedRegistration) -> None:
    """Presence and verification, then algorithm, attestation and allow-list, then the
    client-reported attachment and the synced-passkey rule: cryptographic facts first."""
    _presence_and_verification(policy, v.user_present, v.user_verified)
    if v.alg not in policy.algorithms:
        raise AuthError("algorithm_not_allowed", f"Algorithm {v.alg} is not allowed.")
    _attestation(policy, v)
    wanted = policy.authenticator_attachment
    # The attachment is reported by the client, unsigned: a contradiction is refused, a
    # missing value is accepted. Only an attested allow-list truly pins the authenticator.
    if wanted != "any" and v.attachment is not None and v.attachment != wanted:
        raise AuthError(
            "authenticator_not_allowed",
            f"This organisation allows only {wanted} authenticators; this one is {v.attachment}.",
        )
    if not policy.allow_synced_passkeys and v.backup_eligible:
        raise AuthError(
            "authenticator_not_allowed",
            "This organisation does not allow synced (backup-eligible) passkeys.",
        )


def check_authentication(
    policy: OrgPolicy, a: VerifiedAssertion, stored: StoredCredentialFacts
) -> None:
    """Rules at sign-in. Attachment is not checked: at sign-in the client reports it unsigned
    and the contract says so."""
    _presence_and_verification(policy, a.user_present, a.user_verified)
    if stored.flagged:
        raise AuthError(
            "credential_flagged",
            "This credential is flagged as a possible clone; its owner or an admin must clear "
            "or delete it.",
        )
    if not policy.allow_synced_passkeys and (stored.backup_eligible or a.backup_eligible):
        raise AuthError(
            "authenticator_not_allowed",
            "This organisation does not allow synced (backup-eligible) passkeys.",
        )
    if stored.algorithm is not None and stored.algorithm not in policy.algorithms:
        raise AuthError(
            "algorithm_not_allowed",
            f"This passkey uses algorithm {stored.algorithm}, "
            "which the organisation no longer allows.",
        )
    if policy.allowed_aaguids and not (
        stored.aaguid_attested and stored.aaguid.lower() in policy.allowed_aaguids
    ):
        raise AuthError(
            "authenticator_not_allowed",
            "This passkey's authenticator model is not proven to be in the allow-list.",
        )


def sign_count_regressed(stored: int, new: int) -> bool:
    """WebAuthn §7.2: a counter that did not grow, while either value is non-zero."""
    return (stored != 0 or new != 0) and new <= stored
