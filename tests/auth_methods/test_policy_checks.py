"""Each rule applied to verified ceremony facts, refusing with its contract code (pure)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from auth_methods import errors
from auth_methods.errors import ERROR_CODES, AuthError, ErrorSpec
from auth_methods.policy import OrgPolicy
from auth_methods.policy_checks import (
    StoredCredentialFacts,
    VerifiedAssertion,
    VerifiedRegistration,
    check_authentication,
    check_login_allowed,
    check_registration,
    check_registration_allowed,
    sign_count_regressed,
)

YUBIKEY = "cb69481e-8ff7-4039-93ec-0a2729a154a8"
OTHER = "ee882879-721c-4913-9775-3dfcce97072a"

DEFAULT = OrgPolicy(org_name="Acme Corp", primary_host="acme.localhost")
TRUSTED_ONLY = replace(DEFAULT, attestation="direct", require_trusted_attestation=True)
ALLOW_LIST = replace(DEFAULT, attestation="direct", allowed_aaguids=(YUBIKEY,))
NO_SYNCED = replace(DEFAULT, allow_synced_passkeys=False)

REGISTRATION = VerifiedRegistration(
    aaguid=YUBIKEY,
    alg=-7,
    user_present=True,
    user_verified=True,
    backup_eligible=False,
    backed_up=False,
    attestation_type="none",
    attachment=None,
    fmt="none",
)
TRUSTED_REGISTRATION = replace(REGISTRATION, attestation_type="trusted", fmt="packed")
ASSERTION = VerifiedAssertion(
    user_present=True, user_verified=True, backup_eligible=False, backed_up=False, sign_count=0
)
STORED = StoredCredentialFacts(
    aaguid=YUBIKEY, aaguid_attested=False, backup_eligible=False, flagged=False, sign_count=0
)


def policy(base: OrgPolicy = DEFAULT, **changes: Any) -> OrgPolicy:
    return replace(base, **changes)


def registration(base: VerifiedRegistration = REGISTRATION, **changes: Any) -> VerifiedRegistration:
    return replace(base, **changes)


def assertion(**changes: Any) -> VerifiedAssertion:
    return replace(ASSERTION, **changes)


def stored(**changes: Any) -> StoredCredentialFacts:
    return replace(STORED, **changes)


def assert_refused(err: pytest.ExceptionInfo[AuthError], code: str) -> None:
    assert err.value.code == code
    assert err.value.status == ERROR_CODES[code].status
    assert err.value.detail


# --- registration -------------------------------------------------------------------------

REGISTRATION_REFUSALS = [
    pytest.param(DEFAULT, registration(user_present=False), "user_presence_required", id="no-up"),
    pytest.param(
        policy(user_verification="required"),
        registration(user_present=False, user_verified=True),
        "user_presence_required",
        id="no-up-even-with-uv",
    ),
    pytest.param(
        policy(user_verification="required"),
        registration(user_verified=False),
        "user_verification_required",
        id="uv-required-not-set",
    ),
    pytest.param(
        policy(algorithms=(-7,)), registration(alg=-257), "algorithm_not_allowed", id="rsa-off"
    ),
    pytest.param(
        policy(algorithms=(-8, -257)), registration(alg=-7), "algorithm_not_allowed", id="es256-off"
    ),
    pytest.param(TRUSTED_ONLY, REGISTRATION, "attestation_required", id="trusted-only-none"),
    pytest.param(
        TRUSTED_ONLY,
        registration(attestation_type="self", fmt="packed"),
        "attestation_untrusted",
        id="trusted-only-self",
    ),
    pytest.param(
        TRUSTED_ONLY,
        registration(attestation_type="untrusted", fmt="packed"),
        "attestation_untrusted",
        id="trusted-only-untrusted",
    ),
    pytest.param(ALLOW_LIST, REGISTRATION, "attestation_required", id="allow-list-none"),
    pytest.param(
        ALLOW_LIST,
        registration(attestation_type="self", fmt="packed"),
        "attestation_untrusted",
        id="allow-list-self",
    ),
    pytest.param(
        ALLOW_LIST,
        registration(attestation_type="untrusted", fmt="packed"),
        "attestation_untrusted",
        id="allow-list-untrusted",
    ),
    pytest.param(
        ALLOW_LIST,
        registration(TRUSTED_REGISTRATION, aaguid=OTHER),
        "authenticator_not_allowed",
        id="allow-list-aaguid-not-listed",
    ),
    pytest.param(
        policy(TRUSTED_ONLY, allowed_aaguids=(YUBIKEY,)),
        registration(TRUSTED_REGISTRATION, aaguid=OTHER),
        "authenticator_not_allowed",
        id="trusted-and-allow-list-aaguid-not-listed",
    ),
    pytest.param(
        policy(authenticator_attachment="platform"),
        registration(attachment="cross-platform"),
        "authenticator_not_allowed",
        id="platform-only-got-roaming",
    ),
    pytest.param(
        policy(authenticator_attachment="cross-platform"),
        registration(attachment="platform"),
        "authenticator_not_allowed",
        id="roaming-only-got-platform",
    ),
    pytest.param(
        NO_SYNCED,
        registration(backup_eligible=True, backed_up=True),
        "authenticator_not_allowed",
        id="synced-off-backed-up",
    ),
    pytest.param(
        NO_SYNCED,
        registration(backup_eligible=True, backed_up=False),
        "authenticator_not_allowed",
        id="synced-off-eligible-not-yet-backed-up",
    ),
    pytest.param(
        ALLOW_LIST,
        registration(TRUSTED_REGISTRATION, aaguid="not-a-uuid"),
        "authenticator_not_allowed",
        id="allow-list-garbled-aaguid",
    ),
]


@pytest.mark.parametrize(("org_policy", "verified", "code"), REGISTRATION_REFUSALS)
def test_it_refuses_a_registration_that_breaks_a_rule(
    org_policy: OrgPolicy, verified: VerifiedRegistration, code: str
) -> None:
    with pytest.raises(AuthError) as err:
        check_registration(org_policy, verified)
    assert_refused(err, code)


REGISTRATION_PASSES = [
    pytest.param(DEFAULT, REGISTRATION, id="defaults"),
    pytest.param(
        policy(user_verification="preferred"), registration(user_verified=False), id="uv-preferred"
    ),
    pytest.param(
        policy(user_verification="discouraged"),
        registration(user_verified=False),
        id="uv-discouraged",
    ),
    pytest.param(policy(user_verification="required"), REGISTRATION, id="uv-required-set"),
    pytest.param(policy(algorithms=(-257,)), registration(alg=-257), id="rsa-only"),
    pytest.param(
        policy(attestation="direct"), REGISTRATION, id="direct-without-requirement-accepts-none"
    ),
    pytest.param(
        policy(attestation="direct"),
        registration(attestation_type="self", fmt="packed"),
        id="direct-without-requirement-accepts-self",
    ),
    pytest.param(TRUSTED_ONLY, TRUSTED_REGISTRATION, id="trusted-only-trusted"),
    pytest.param(
        policy(TRUSTED_ONLY, attestation="enterprise"),
        TRUSTED_REGISTRATION,
        id="enterprise-trusted",
    ),
    pytest.param(ALLOW_LIST, TRUSTED_REGISTRATION, id="allow-list-listed"),
    pytest.param(
        ALLOW_LIST,
        registration(TRUSTED_REGISTRATION, aaguid=YUBIKEY.upper()),
        id="allow-list-listed-upper-case",
    ),
    pytest.param(
        ALLOW_LIST,
        registration(TRUSTED_REGISTRATION, aaguid=YUBIKEY.replace("-", "")),
        id="allow-list-listed-without-hyphens",
    ),
    pytest.param(
        policy(authenticator_attachment="platform"),
        registration(attachment="platform"),
        id="platform-only-got-platform",
    ),
    pytest.param(
        policy(authenticator_attachment="platform"),
        registration(attachment=None),
        id="platform-only-attachment-absent",
    ),
    pytest.param(
        policy(authenticator_attachment="cross-platform"),
        registration(attachment="cross-platform"),
        id="roaming-only-got-roaming",
    ),
    pytest.param(
        policy(authenticator_attachment="cross-platform"),
        registration(attachment=None),
        id="roaming-only-attachment-absent",
    ),
    pytest.param(
        policy(authenticator_attachment="any"), registration(attachment="platform"), id="any-1"
    ),
    pytest.param(
        policy(authenticator_attachment="any"),
        registration(attachment="cross-platform"),
        id="any-2",
    ),
    pytest.param(NO_SYNCED, REGISTRATION, id="synced-off-device-bound"),
    pytest.param(
        DEFAULT, registration(backup_eligible=True, backed_up=True), id="synced-on-synced"
    ),
]


@pytest.mark.parametrize(("org_policy", "verified"), REGISTRATION_PASSES)
def test_it_accepts_a_registration_that_follows_the_policy(
    org_policy: OrgPolicy, verified: VerifiedRegistration
) -> None:
    check_registration(org_policy, verified)


STRICT = policy(
    TRUSTED_ONLY,
    user_verification="required",
    algorithms=(-7,),
    allowed_aaguids=(YUBIKEY,),
    authenticator_attachment="platform",
    allow_synced_passkeys=False,
)
BREAKS_EVERYTHING = registration(
    user_present=False,
    user_verified=False,
    alg=-257,
    attestation_type="none",
    aaguid=OTHER,
    attachment="cross-platform",
    backup_eligible=True,
)


@pytest.mark.parametrize(
    ("fixed", "code"),
    [
        ({}, "user_presence_required"),
        ({"user_present": True}, "user_verification_required"),
        ({"user_present": True, "user_verified": True}, "algorithm_not_allowed"),
        ({"user_present": True, "user_verified": True, "alg": -7}, "attestation_required"),
        (
            {"user_present": True, "user_verified": True, "alg": -7, "attestation_type": "self"},
            "attestation_untrusted",
        ),
        (
            {"user_present": True, "user_verified": True, "alg": -7, "attestation_type": "trusted"},
            "authenticator_not_allowed",  # the AAGUID
        ),
        (
            {
                "user_present": True,
                "user_verified": True,
                "alg": -7,
                "attestation_type": "trusted",
                "aaguid": YUBIKEY,
                "attachment": "platform",
            },
            "authenticator_not_allowed",  # synced
        ),
    ],
)
def test_it_reports_the_first_broken_registration_rule_in_the_documented_order(
    fixed: dict[str, Any], code: str
) -> None:
    with pytest.raises(AuthError) as err:
        check_registration(STRICT, registration(BREAKS_EVERYTHING, **fixed))
    assert_refused(err, code)


def test_it_reports_the_attachment_before_the_synced_rule() -> None:
    verified = registration(TRUSTED_REGISTRATION, attachment="cross-platform", backup_eligible=True)
    with pytest.raises(AuthError) as err:
        check_registration(STRICT, verified)
    assert "platform" in err.value.detail


# --- gates before a ceremony --------------------------------------------------------------


@pytest.mark.parametrize(
    ("org_policy", "passkey_count", "code"),
    [
        (policy(passkey_registration_enabled=False), 0, "passkey_registration_disabled"),
        (
            policy(passkey_registration_enabled=False, max_passkeys_per_user=1),
            5,
            "passkey_registration_disabled",
        ),
        (policy(max_passkeys_per_user=1), 1, "passkey_limit_reached"),
        (DEFAULT, 20, "passkey_limit_reached"),
        (DEFAULT, 21, "passkey_limit_reached"),
        (policy(max_passkeys_per_user=100), 100, "passkey_limit_reached"),
    ],
)
def test_it_refuses_to_start_a_registration_when_disabled_or_at_the_limit(
    org_policy: OrgPolicy, passkey_count: int, code: str
) -> None:
    with pytest.raises(AuthError) as err:
        check_registration_allowed(org_policy, passkey_count=passkey_count)
    assert_refused(err, code)


@pytest.mark.parametrize(
    ("org_policy", "passkey_count"),
    [
        (DEFAULT, 0),
        (DEFAULT, 19),
        (policy(max_passkeys_per_user=1), 0),
        (policy(max_passkeys_per_user=100), 99),
        (policy(passkey_login_enabled=False), 0),  # sign-in off does not stop enrolment
    ],
)
def test_it_lets_a_registration_start_below_the_limit(
    org_policy: OrgPolicy, passkey_count: int
) -> None:
    check_registration_allowed(org_policy, passkey_count=passkey_count)


def test_it_refuses_to_start_a_sign_in_when_passkey_login_is_off() -> None:
    with pytest.raises(AuthError) as err:
        check_login_allowed(policy(passkey_login_enabled=False))
    assert_refused(err, "passkey_login_disabled")


@pytest.mark.parametrize(
    "org_policy", [DEFAULT, policy(passkey_registration_enabled=False)], ids=["default", "reg-off"]
)
def test_it_lets_a_sign_in_start_when_passkey_login_is_on(org_policy: OrgPolicy) -> None:
    check_login_allowed(org_policy)


# --- authentication -----------------------------------------------------------------------

AUTHENTICATION_REFUSALS = [
    pytest.param(
        DEFAULT, assertion(user_present=False), STORED, "user_presence_required", id="no-up"
    ),
    pytest.param(
        policy(user_verification="required"),
        assertion(user_verified=False),
        STORED,
        "user_verification_required",
        id="uv-required-not-set",
    ),
    pytest.param(DEFAULT, ASSERTION, stored(flagged=True), "credential_flagged", id="flagged"),
    pytest.param(
        NO_SYNCED,
        ASSERTION,
        stored(backup_eligible=True),
        "authenticator_not_allowed",
        id="synced-off-stored-eligible",
    ),
    pytest.param(
        NO_SYNCED,
        assertion(backup_eligible=True, backed_up=True),
        STORED,
        "authenticator_not_allowed",
        id="synced-off-assertion-eligible",
    ),
    pytest.param(
        policy(algorithms=(-7,)),
        ASSERTION,
        stored(algorithm=-257),
        "algorithm_not_allowed",
        id="stored-algorithm-no-longer-allowed",
    ),
    pytest.param(
        ALLOW_LIST,
        ASSERTION,
        stored(aaguid=YUBIKEY, aaguid_attested=False),
        "authenticator_not_allowed",
        id="allow-list-listed-but-unattested",
    ),
    pytest.param(
        ALLOW_LIST,
        ASSERTION,
        stored(aaguid=OTHER, aaguid_attested=True),
        "authenticator_not_allowed",
        id="allow-list-attested-not-listed",
    ),
    pytest.param(
        ALLOW_LIST,
        ASSERTION,
        stored(aaguid="00000000-0000-0000-0000-000000000000", aaguid_attested=False),
        "authenticator_not_allowed",
        id="allow-list-zero-aaguid",
    ),
    pytest.param(
        NO_SYNCED,
        assertion(user_verified=False),
        stored(flagged=True, backup_eligible=True),
        "credential_flagged",
        id="flagged-before-synced",
    ),
    pytest.param(
        policy(NO_SYNCED, user_verification="required"),
        assertion(user_verified=False),
        stored(flagged=True),
        "user_verification_required",
        id="uv-before-flagged",
    ),
]


@pytest.mark.parametrize(("org_policy", "verified", "facts", "code"), AUTHENTICATION_REFUSALS)
def test_it_refuses_a_sign_in_that_breaks_a_rule(
    org_policy: OrgPolicy, verified: VerifiedAssertion, facts: StoredCredentialFacts, code: str
) -> None:
    with pytest.raises(AuthError) as err:
        check_authentication(org_policy, verified, facts)
    assert_refused(err, code)


AUTHENTICATION_PASSES = [
    pytest.param(DEFAULT, ASSERTION, STORED, id="defaults"),
    pytest.param(DEFAULT, assertion(user_verified=False), STORED, id="uv-preferred"),
    pytest.param(
        policy(user_verification="discouraged"),
        assertion(user_verified=False),
        STORED,
        id="uv-discouraged",
    ),
    pytest.param(policy(user_verification="required"), ASSERTION, STORED, id="uv-required-set"),
    pytest.param(
        DEFAULT,
        assertion(backup_eligible=True, backed_up=True),
        stored(backup_eligible=True),
        id="synced-on-synced",
    ),
    pytest.param(NO_SYNCED, ASSERTION, STORED, id="synced-off-device-bound"),
    pytest.param(
        policy(algorithms=(-7,)), ASSERTION, stored(algorithm=-7), id="stored-algorithm-allowed"
    ),
    pytest.param(
        policy(algorithms=(-7,)), ASSERTION, stored(algorithm=None), id="stored-algorithm-unknown"
    ),
    pytest.param(
        ALLOW_LIST, ASSERTION, stored(aaguid_attested=True), id="allow-list-attested-listed"
    ),
    pytest.param(
        ALLOW_LIST,
        ASSERTION,
        stored(aaguid=YUBIKEY.upper(), aaguid_attested=True),
        id="allow-list-attested-listed-upper-case",
    ),
    pytest.param(
        TRUSTED_ONLY,
        ASSERTION,
        stored(aaguid_attested=False),
        id="trusted-only-is-a-registration-rule",
    ),
    pytest.param(
        policy(authenticator_attachment="platform"),
        ASSERTION,
        STORED,
        id="attachment-not-checked-at-sign-in",
    ),
]


@pytest.mark.parametrize(("org_policy", "verified", "facts"), AUTHENTICATION_PASSES)
def test_it_accepts_a_sign_in_that_follows_the_policy(
    org_policy: OrgPolicy, verified: VerifiedAssertion, facts: StoredCredentialFacts
) -> None:
    check_authentication(org_policy, verified, facts)


# --- counter ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stored_count", "new_count", "regressed"),
    [
        (0, 0, False),  # a synced passkey that always reports 0
        (0, 5, False),
        (5, 6, False),
        (5, 5, True),
        (5, 3, True),
        (3, 0, True),
        (0, 1, False),
        (1, 1, True),
    ],
)
def test_it_flags_a_counter_that_did_not_grow_while_either_is_non_zero(
    stored_count: int, new_count: int, regressed: bool
) -> None:
    assert sign_count_regressed(stored_count, new_count) is regressed


# --- the error catalogue ------------------------------------------------------------------

CONSTANTS = {name: value for name, value in vars(errors).items() if isinstance(value, ErrorSpec)}


def test_every_error_code_has_a_constant_named_after_it() -> None:
    assert {spec.code for spec in CONSTANTS.values()} == set(ERROR_CODES)
    for name, spec in CONSTANTS.items():
        assert name == spec.code.upper()
        assert ERROR_CODES[spec.code] is spec


@pytest.mark.parametrize("code", sorted(ERROR_CODES))
def test_it_raises_each_code_with_its_status_title_and_detail(code: str) -> None:
    spec = ERROR_CODES[code]
    for err in (spec.with_detail("why", field="f"), AuthError.of(code, "why", field="f")):
        assert (err.code, err.status, err.title, err.detail, err.field) == (
            code,
            spec.status,
            spec.title,
            "why",
            "f",
        )
        # A refusal of the caller; server_error and service_unavailable are only the words of
        # the 500 page and of an outage, never raised by a service.
        assert 400 <= err.status < 500 or code in {"server_error", "service_unavailable"}


@pytest.mark.parametrize(
    ("spec", "status"),
    [
        (errors.CHALLENGE_EXPIRED, 400),
        (errors.AUTHENTICATOR_NOT_ALLOWED, 403),
        (errors.PAYLOAD_TOO_LARGE, 413),
        (errors.RATE_LIMITED, 429),
        (errors.LAST_FACTOR, 409),
    ],
)
def test_it_keeps_the_contracts_statuses(spec: ErrorSpec, status: int) -> None:
    assert spec.status == status
    assert spec.with_detail("x").field is None


def test_it_refuses_an_unknown_code_loudly() -> None:
    with pytest.raises(KeyError):
        AuthError.of("no_such_code", "x")
