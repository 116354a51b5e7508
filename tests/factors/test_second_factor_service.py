"""The second step after a password, as a service: the registry says what is on offer and
each factor verifies its own proof; nothing is written when the step is refused."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any

import pyotp
import pytest

from auth_methods.audit import Actor
from auth_methods.errors import AuthError
from auth_methods.factors import FACTORS, PASSKEY, factor_of_kind
from auth_methods.models import AuditEvent, Passkey, RecoveryCodeSet, TotpDevice, User
from auth_methods.passwords import password_check
from auth_methods.policy import OrgPolicy
from auth_methods.recovery_codes.services import recovery_codes_generate
from auth_methods.second_factor import (
    second_factor_choices,
    second_factor_needed,
    second_factor_verify,
)
from auth_methods.totp import codes
from auth_methods.totp.services import totp_begin, totp_confirm
from auth_methods.users import user_create
from tenants.context import with_org
from tenants.models import Organisation

pytestmark = pytest.mark.django_db

NOW = (int(time.time()) // 30) * 30 + 15
ACTOR = Actor(label="test")
POLICY = OrgPolicy(org_name="Acme Corp", primary_host="acme.localhost")


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(codes, "_now", lambda: float(NOW))


@pytest.fixture
def user(acme: Organisation) -> Iterator[User]:
    with with_org(acme):
        yield user_create(email="ada@acme.test", password="a-Long-passphrase-1")


def add_passkey(user: User, **facts: Any) -> Passkey:
    values: dict[str, Any] = {"algorithm": -7, "user_verified": True} | facts
    return Passkey.objects.create(
        user=user, credential_id=os.urandom(16), public_key=b"k", **values
    )


def enrol_totp(user: User) -> pyotp.TOTP:
    totp = pyotp.TOTP(totp_begin(user=user, issuer="Acme Corp").secret_b32)
    totp_confirm(actor=ACTOR, user=user, code=totp.at(NOW - 30))
    return totp


def kinds(policy: OrgPolicy, user: User) -> list[str]:
    return [f.kind for f in second_factor_choices(policy, user)]


def test_every_kind_is_found_in_the_registry_and_an_unknown_one_is_not() -> None:
    assert [factor_of_kind(f.kind) for f in FACTORS] == list(FACTORS)
    with pytest.raises(AuthError) as caught:
        factor_of_kind("sms")
    assert caught.value.code == "not_found"


def test_a_passkey_is_offered_only_while_the_policy_would_accept_it(user: User) -> None:
    add_passkey(user, algorithm=-257)
    assert kinds(POLICY, user) == ["passkey"]
    rs256_dropped = OrgPolicy(algorithms=(-7,), primary_host="acme.localhost")
    assert kinds(rs256_dropped, user) == []
    assert not second_factor_needed(rs256_dropped, user)
    assert second_factor_needed(OrgPolicy(mfa_required=True), user)


def test_a_totp_code_passes_through_the_registry(user: User) -> None:
    totp = enrol_totp(user)
    second_factor_verify(policy=POLICY, actor=ACTOR, user=user, kind="totp", proof=totp.at(NOW))
    assert AuditEvent.objects.filter(action="totp.verify", outcome="success").count() == 1


def test_a_recovery_code_passes_once_through_the_registry(user: User) -> None:
    code = recovery_codes_generate(actor=ACTOR, user=user)[0]
    second_factor_verify(policy=POLICY, actor=ACTOR, user=user, kind="recovery_code", proof=code)
    with pytest.raises(AuthError) as caught:
        second_factor_verify(
            policy=POLICY, actor=ACTOR, user=user, kind="recovery_code", proof=code
        )
    assert caught.value.code == "invalid_request"
    assert list(RecoveryCodeSet.objects.get(user=user).used).count(True) == 1


def test_a_factor_the_user_does_not_hold_is_refused_and_nothing_is_written(user: User) -> None:
    before = AuditEvent.objects.count()
    with pytest.raises(AuthError) as caught:
        second_factor_verify(policy=POLICY, actor=ACTOR, user=user, kind="totp", proof="123456")
    assert caught.value.code == "forbidden"
    assert AuditEvent.objects.count() == before and not TotpDevice.objects.exists()


def test_a_proof_that_is_not_a_code_is_invalid(user: User) -> None:
    enrol_totp(user)
    with pytest.raises(AuthError) as caught:
        second_factor_verify(policy=POLICY, actor=ACTOR, user=user, kind="totp", proof=123456)
    assert caught.value.code == "invalid_request" and caught.value.field == "code"
    assert TotpDevice.objects.get(user=user).last_used_step == (NOW - 30) // 30


def test_a_passkey_proof_is_a_webauthn_response(user: User) -> None:
    add_passkey(user)
    with pytest.raises(AuthError) as caught:
        second_factor_verify(policy=POLICY, actor=ACTOR, user=user, kind="passkey", proof={})
    assert caught.value.code == "invalid_request"
    assert Passkey.objects.get(user=user).last_used_at is None


def test_passwordless_only_asks_the_registry_who_holds_a_passwordless_factor(
    user: User,
) -> None:
    policy = OrgPolicy(passwordless_only=True)
    password = "a-Long-passphrase-1"
    assert password_check(policy=policy, actor=ACTOR, email=user.email, password=password) == user
    enrol_totp(user)  # not a passwordless factor: the password still opens
    assert password_check(policy=policy, actor=ACTOR, email=user.email, password=password) == user
    add_passkey(user)
    assert PASSKEY.passwordless and PASSKEY.is_usable(user)
    with pytest.raises(AuthError) as caught:
        password_check(policy=policy, actor=ACTOR, email=user.email, password=password)
    assert caught.value.code == "forbidden"
