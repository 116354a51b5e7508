"""Each rule applied to verified ceremony facts, refusing with its contract code (pure)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from auth_methods.errors import ERROR_CODES, AuthError
from auth_methods.policy import OrgPolicy
from auth_methods.policy_checks import (
    StoredCredentialFacts,
    VerifiedAssertion,
    VerifiedRegistration,
    check_authentication,
    check_registration,
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
