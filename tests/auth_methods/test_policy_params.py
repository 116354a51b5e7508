"""Every policy field that shapes ceremony options, shown by its effect (pure, no database)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import pytest

from auth_methods.policy import (
    DEFAULT_ALGORITHMS,
    POLICY_FIELDS,
    AuthenticationParams,
    CredentialRef,
    OrgPolicy,
    RegistrationParams,
    UserRef,
    authentication_params,
    effective_rp_id,
    effective_rp_name,
    expected_origins,
    registration_params,
    related_origins,
)

ORG = OrgPolicy(
    org_name="Acme Corp",
    primary_host="acme.localhost",
    org_origins=("http://acme.localhost:8000",),
)
USER = UserRef(id=b"\x01" * 16, name="alice@example.com", display_name="Alice")
KEY = CredentialRef(id=b"key-1", transports=("usb", "nfc"))
PHONE = CredentialRef(id=b"phone-1", transports=("hybrid", "internal"))
BARE = CredentialRef(id=b"bare-1")


def org(**changes: Any) -> OrgPolicy:
    return replace(ORG, **changes)


def reg(policy: OrgPolicy, existing: Sequence[CredentialRef] = ()) -> RegistrationParams:
    return registration_params(policy, USER, existing)


def auth(policy: OrgPolicy, allow: Sequence[CredentialRef] | None = None) -> AuthenticationParams:
    return authentication_params(policy, allow)


def test_it_builds_the_contract_defaults_for_an_untouched_policy() -> None:
    assert reg(ORG) == RegistrationParams(
        rp_id="acme.localhost",
        rp_name="Acme Corp",
        user_id=b"\x01" * 16,
        user_name="alice@example.com",
        user_display_name="Alice",
        attestation="none",
        attachment=None,
        resident_key="preferred",
        require_resident_key=False,
        user_verification="preferred",
        algorithms=(-8, -7, -257),
        timeout_ms=60_000,
        hints=(),
        exclude_credentials=(),
    )
    assert auth(ORG) == AuthenticationParams(
        rp_id="acme.localhost",
        user_verification="preferred",
        timeout_ms=60_000,
        allow_credentials=(),
    )


@pytest.mark.parametrize("user_verification", ["required", "preferred", "discouraged"])
def test_it_asks_for_the_orgs_user_verification_in_both_ceremonies(
    user_verification: str,
) -> None:
    policy = org(user_verification=user_verification)
    assert reg(policy).user_verification == user_verification
    assert auth(policy).user_verification == user_verification


@pytest.mark.parametrize("attestation", ["none", "indirect", "direct", "enterprise"])
def test_it_asks_for_the_orgs_attestation(attestation: str) -> None:
    assert reg(org(attestation=attestation)).attestation == attestation


@pytest.mark.parametrize(
    ("attachment", "option", "hints"),
    [
        ("platform", "platform", ("client-device",)),
        ("cross-platform", "cross-platform", ("security-key", "hybrid")),
        ("any", None, ()),
    ],
)
def test_it_maps_authenticator_attachment_to_the_option_and_hints(
    attachment: str, option: str | None, hints: tuple[str, ...]
) -> None:
    params = reg(org(authenticator_attachment=attachment))
    assert params.attachment == option
    assert params.hints == hints


@pytest.mark.parametrize(
    ("resident_key", "require_resident_key"),
    [("required", True), ("preferred", False), ("discouraged", False)],
)
def test_it_maps_resident_key_and_the_legacy_require_resident_key(
    resident_key: str, require_resident_key: bool
) -> None:
    params = reg(org(resident_key=resident_key))
    assert params.resident_key == resident_key
    assert params.require_resident_key is require_resident_key


@pytest.mark.parametrize(
    "algorithms",
    [DEFAULT_ALGORITHMS, (-257, -7), (-7,), (-257, -8, -7), (-36, -35, -7)],
)
def test_it_offers_the_orgs_algorithms_in_the_orgs_order(algorithms: tuple[int, ...]) -> None:
    assert reg(org(algorithms=algorithms)).algorithms == algorithms


@pytest.mark.parametrize(
    ("timeout_seconds", "timeout_ms"), [(10, 10_000), (60, 60_000), (90, 90_000), (600, 600_000)]
)
def test_it_converts_timeout_seconds_to_milliseconds_in_both_ceremonies(
    timeout_seconds: int, timeout_ms: int
) -> None:
    policy = org(timeout_seconds=timeout_seconds)
    assert reg(policy).timeout_ms == timeout_ms
    assert auth(policy).timeout_ms == timeout_ms


@pytest.mark.parametrize(
    ("rp_id", "expected"),
    [(None, "acme.localhost"), ("", "acme.localhost"), ("acme.com", "acme.com")],
)
def test_it_uses_the_primary_host_as_rp_id_unless_overridden(
    rp_id: str | None, expected: str
) -> None:
    policy = org(rp_id=rp_id)
    assert effective_rp_id(policy) == expected
    assert reg(policy).rp_id == expected
    assert auth(policy).rp_id == expected


@pytest.mark.parametrize(
    ("rp_name", "expected"),
    [(None, "Acme Corp"), ("", "Acme Corp"), ("Acme sign-in", "Acme sign-in")],
)
def test_it_uses_the_org_name_as_rp_name_unless_overridden(
    rp_name: str | None, expected: str
) -> None:
    policy = org(rp_name=rp_name)
    assert effective_rp_name(policy) == expected
    assert reg(policy).rp_name == expected


def test_it_passes_the_user_through_to_registration() -> None:
    params = reg(ORG)
    assert (params.user_id, params.user_name, params.user_display_name) == (
        USER.id,
        USER.name,
        USER.display_name,
    )


@pytest.mark.parametrize(
    ("allowed_origins", "expected"),
    [
        ((), ("http://acme.localhost:8000",)),
        (
            ("https://login.acme.com",),
            ("http://acme.localhost:8000", "https://login.acme.com"),
        ),
        (
            ("https://login.acme.com", "http://acme.localhost:8000", "https://acme.co.uk"),
            ("http://acme.localhost:8000", "https://login.acme.com", "https://acme.co.uk"),
        ),
    ],
)
def test_it_accepts_the_org_origins_then_the_allowed_origins_once_each(
    allowed_origins: tuple[str, ...], expected: tuple[str, ...]
) -> None:
    assert expected_origins(org(allowed_origins=allowed_origins)) == expected


@pytest.mark.parametrize(
    ("rp_id", "allowed_origins", "related"),
    [
        (None, (), ()),
        (None, ("http://login.acme.localhost:8000",), ()),
        (None, ("http://acme.localhost:9000",), ()),
        (None, ("https://acme.com",), ("https://acme.com",)),
        (
            "acme.com",
            (
                "https://acme.com",
                "https://login.acme.com",
                "https://acme.com:8443",
                "https://acme.co.uk",
                "https://notacme.com",
                "http://acme.localhost:8000",
            ),
            # The org's own host comes first, once, then the extra allowed origins.
            ("http://acme.localhost:8000", "https://acme.co.uk", "https://notacme.com"),
        ),
    ],
)
def test_it_lists_allowed_origins_outside_the_rp_id_as_related_origins(
    rp_id: str | None, allowed_origins: tuple[str, ...], related: tuple[str, ...]
) -> None:
    assert related_origins(org(rp_id=rp_id, allowed_origins=allowed_origins)) == related


@pytest.mark.parametrize(
    ("rp_id", "org_origins", "related"),
    [
        (None, ("http://acme.localhost:8000",), ()),
        (None, ("http://acme.localhost:8000", "http://sso.acme.localhost:8000"), ()),
        # rp_id covers the primary host only: the org's other host needs a related origin
        # request, so the browser must find it at /.well-known/webauthn.
        (
            "acme.localhost",
            ("http://acme.localhost:8000", "https://login.acme.com"),
            ("https://login.acme.com",),
        ),
    ],
)
def test_it_lists_the_orgs_own_hosts_outside_the_rp_id_as_related_origins(
    rp_id: str | None, org_origins: tuple[str, ...], related: tuple[str, ...]
) -> None:
    assert related_origins(org(rp_id=rp_id, org_origins=org_origins)) == related


@pytest.mark.parametrize(
    ("existing", "expected"),
    [
        ((), ()),
        ((BARE,), ((b"bare-1", ()),)),
        (
            (KEY, PHONE, BARE),
            (
                (b"key-1", ("usb", "nfc")),
                (b"phone-1", ("hybrid", "internal")),
                (b"bare-1", ()),
            ),
        ),
    ],
)
def test_it_excludes_the_users_existing_passkeys_with_transports(
    existing: tuple[CredentialRef, ...], expected: tuple[tuple[bytes, tuple[str, ...]], ...]
) -> None:
    assert reg(ORG, existing).exclude_credentials == expected


@pytest.mark.parametrize(
    ("allow", "expected"),
    [
        (None, ()),
        ((), ()),
        ((KEY,), ((b"key-1", ("usb", "nfc")),)),
        ((PHONE, BARE), ((b"phone-1", ("hybrid", "internal")), (b"bare-1", ()))),
    ],
)
def test_it_allows_the_named_users_passkeys_with_transports(
    allow: tuple[CredentialRef, ...] | None,
    expected: tuple[tuple[bytes, tuple[str, ...]], ...],
) -> None:
    assert auth(ORG, allow).allow_credentials == expected


# Fields that shape no ceremony option: where each takes effect (and is tested).
ENFORCED_ELSEWHERE = {
    "passkey_registration_enabled": "policy_checks.check_registration_allowed",
    "passkey_login_enabled": "policy_checks.check_login_allowed",
    "max_passkeys_per_user": "policy_checks.check_registration_allowed",
    "require_trusted_attestation": "policy_checks.check_registration",
    "allowed_aaguids": "policy_checks.check_registration / check_authentication",
    "allow_synced_passkeys": "policy_checks.check_registration / check_authentication",
    "trusted_attestation_roots": "passkeys/ceremony.py (chain verification; tests/api)",
    "token_ttl_seconds": "tokens.py (tests/api/test_authenticate.py)",
    "mfa_required": "factors.py, passwords.py (tests/factors, tests/portal)",
    "passwordless_only": "passwords.py, lockout.py (tests/auth_methods_lockout)",
    "self_signup_enabled": "user_signup.user_signup_open (tests/signup/test_user_signup.py)",
}
SHAPES_OPTIONS_OR_ORIGINS = {
    "user_verification",
    "attestation",
    "authenticator_attachment",
    "resident_key",
    "algorithms",
    "timeout_seconds",
    "rp_id",
    "rp_name",
    "allowed_origins",
}


def test_every_policy_field_has_a_known_effect() -> None:
    # A new field must be added to one of the tables above, and its effect tested.
    assert set(ENFORCED_ELSEWHERE) | SHAPES_OPTIONS_OR_ORIGINS == set(POLICY_FIELDS)
    assert not set(ENFORCED_ELSEWHERE) & SHAPES_OPTIONS_OR_ORIGINS


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("passkey_registration_enabled", False),
        ("passkey_login_enabled", False),
        ("max_passkeys_per_user", 1),
        ("require_trusted_attestation", True),
        ("allowed_aaguids", ("cb69481e-8ff7-4039-93ec-0a2729a154a8",)),
        ("allow_synced_passkeys", False),
        ("trusted_attestation_roots", ("-----BEGIN CERTIFICATE-----...",)),
        ("token_ttl_seconds", 3600),
        ("mfa_required", True),
        ("passwordless_only", True),
    ],
)
def test_it_leaves_the_options_alone_for_fields_enforced_elsewhere(
    field: str, value: object
) -> None:
    # These act before options are built or after verification, never on the options.
    policy = org(**{field: value})
    assert reg(policy, (KEY,)) == reg(ORG, (KEY,))
    assert auth(policy, (KEY,)) == auth(ORG, (KEY,))
    assert expected_origins(policy) == expected_origins(ORG)
