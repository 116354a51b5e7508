"""An organisation's passkey policy as pure data, and the pure functions that apply it.

No ORM, no request, no py_webauthn: ceremony parameters are built here as plain frozen
dataclasses, and verified facts are checked here. ``ceremony.py`` turns parameters into
py_webauthn calls; ``settings_service.py`` loads and stores the policy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

# The policy's fields and their defaults live in the one table, ``policy_fields``; they are
# re-exported here for the many modules that take an ``OrgPolicy``.
from auth_methods.policy_fields import DEFAULT_ALGORITHMS as DEFAULT_ALGORITHMS
from auth_methods.policy_fields import POLICY_FIELDS as POLICY_FIELDS
from auth_methods.policy_fields import OrgPolicy as OrgPolicy
from auth_methods.policy_fields import policy_table
from auth_methods.policy_formats import host_is_under as host_is_under


def policy_values(policy: OrgPolicy) -> dict[str, object]:
    """The contract's JSON object: every field of the table (tuples as lists; ``rp_name``
    answers the org name when it follows the organisation)."""
    return {row.name: row.answered(policy) for row in policy_table()}


@dataclass(frozen=True)
class UserRef:
    id: bytes  # the WebAuthn user handle
    name: str
    display_name: str


@dataclass(frozen=True)
class CredentialRef:
    id: bytes
    transports: tuple[str, ...] = ()


@dataclass(frozen=True)
class RegistrationParams:
    rp_id: str
    rp_name: str
    user_id: bytes
    user_name: str
    user_display_name: str
    attestation: str
    attachment: str | None
    resident_key: str
    require_resident_key: bool
    user_verification: str
    algorithms: tuple[int, ...]
    timeout_ms: int
    hints: tuple[str, ...]
    exclude_credentials: tuple[tuple[bytes, tuple[str, ...]], ...]


@dataclass(frozen=True)
class AuthenticationParams:
    rp_id: str
    user_verification: str
    timeout_ms: int
    allow_credentials: tuple[tuple[bytes, tuple[str, ...]], ...]


def effective_rp_id(policy: OrgPolicy) -> str:
    """The RP ID the ceremonies use: the policy's, else the org's primary host."""
    return policy.rp_id or policy.primary_host


def effective_rp_name(policy: OrgPolicy) -> str:
    """The name authenticators show: the policy's, else the org's name."""
    return policy.rp_name or policy.org_name


def expected_origins(policy: OrgPolicy) -> tuple[str, ...]:
    """Every origin accepted at verification: the org's own, then the extra allowed ones."""
    return tuple(dict.fromkeys((*policy.org_origins, *policy.allowed_origins)))


def related_origins(policy: OrgPolicy) -> tuple[str, ...]:
    """Accepted origins outside the RP ID's domain: a browser lets them use the RP ID only
    through a WebAuthn L3 related origin request to ``/.well-known/webauthn``. Besides the
    extra allowed origins, that includes the org's own secondary hosts when ``rp_id`` covers
    only the primary one."""
    rp_id = effective_rp_id(policy)
    return tuple(o for o in expected_origins(policy) if not host_is_under(_host(o), rp_id))


def _host(origin: str) -> str:
    return urlsplit(origin).hostname or ""


# WebAuthn L3 hints ("security-key", "client-device", "hybrid"): a platform authenticator is
# built into this device; a roaming one is a security key or a phone reached over the hybrid
# transport, so both roaming hints are sent and the browser may offer either. "any" sends no
# hint, leaving the browser's own ordering alone.
_HINTS = {"platform": ("client-device",), "cross-platform": ("security-key", "hybrid")}


def registration_params(
    policy: OrgPolicy, user: UserRef, existing: Sequence[CredentialRef]
) -> RegistrationParams:
    """Options for ``navigator.credentials.create()``, less the challenge (the caller's).
    ``existing`` are the user's passkeys, excluded so an authenticator is not enrolled twice."""
    attachment = (
        None if policy.authenticator_attachment == "any" else policy.authenticator_attachment
    )
    return RegistrationParams(
        rp_id=effective_rp_id(policy),
        rp_name=effective_rp_name(policy),
        user_id=user.id,
        user_name=user.name,
        user_display_name=user.display_name,
        attestation=policy.attestation,
        attachment=attachment,
        resident_key=policy.resident_key,
        require_resident_key=policy.resident_key == "required",
        user_verification=policy.user_verification,
        algorithms=policy.algorithms,
        timeout_ms=policy.timeout_seconds * 1000,
        hints=_HINTS.get(policy.authenticator_attachment, ()),
        exclude_credentials=tuple((c.id, c.transports) for c in existing),
    )


def authentication_params(
    policy: OrgPolicy, allow: Sequence[CredentialRef] | None
) -> AuthenticationParams:
    """Options for ``navigator.credentials.get()``, less the challenge. ``allow`` lists a named
    user's passkeys; ``None`` (or empty) asks for a discoverable credential."""
    return AuthenticationParams(
        rp_id=effective_rp_id(policy),
        user_verification=policy.user_verification,
        timeout_ms=policy.timeout_seconds * 1000,
        allow_credentials=tuple((c.id, c.transports) for c in allow or ()),
    )
