from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import timezone

from auth_methods.audit import Actor
from auth_methods.factors import (
    FACTORS,
    PASSKEY,
    RECOVERY_CODE,
    TOTP,
    RecoveryCodeFactor,
    TotpFactor,
    is_last_required_factor,
    usable_factors,
)
from auth_methods.models import Passkey, RecoveryCodeSet, TotpDevice, User
from auth_methods.policy import OrgPolicy
from auth_methods.recovery_codes.services import recovery_code_consume, recovery_codes_generate
from auth_methods.users import user_create
from tenants.context import with_org
from tenants.models import Organisation

pytestmark = pytest.mark.django_db

ACTOR = Actor(label="test")
REQUIRED = OrgPolicy(mfa_required=True)


@pytest.fixture
def user(acme: Organisation) -> Iterator[User]:
    with with_org(acme):
        yield user_create(email="ada@acme.test")


def add_passkey(user: User) -> Passkey:
    return Passkey.objects.create(
        user=user,
        credential_id=os.urandom(16),
        public_key=b"k",
        algorithm=-7,
        aaguid="00000000-0000-0000-0000-000000000000",
    )


def add_totp(user: User, *, confirmed: bool = True) -> TotpDevice:
    return TotpDevice.objects.create(
        user=user, secret_encrypted=b"x", confirmed_at=timezone.now() if confirmed else None
    )


def test_the_registry_lists_every_kind_in_chooser_order() -> None:
    assert [f.kind for f in FACTORS] == ["passkey", "totp", "recovery_code"]


def kinds(user: User, **options: Any) -> list[str]:
    return [f.kind for f in usable_factors(user, **options)]


def test_a_new_user_has_no_factor(user: User) -> None:
    assert kinds(user) == []


def test_usable_factors_come_in_a_stable_order(user: User) -> None:
    recovery_codes_generate(actor=ACTOR, user=user)
    add_totp(user)
    add_passkey(user)
    assert kinds(user) == ["passkey", "totp", "recovery_code"]


def test_a_pending_totp_enrolment_is_not_usable(user: User) -> None:
    add_totp(user, confirmed=False)
    assert not TotpFactor().is_usable(user)
    TotpDevice.objects.filter(user=user).update(confirmed_at=timezone.now())
    assert TotpFactor().is_usable(user)


def test_a_flagged_passkey_is_not_usable(user: User) -> None:
    Passkey.objects.filter(pk=add_passkey(user).pk).update(flagged=True)
    assert kinds(user) == []


def test_recovery_codes_count_until_the_last_is_spent(user: User) -> None:
    made = recovery_codes_generate(actor=ACTOR, user=user)
    for code in made[:4]:
        recovery_code_consume(actor=ACTOR, user=user, code=code)
    assert RecoveryCodeFactor().is_usable(user)
    RecoveryCodeSet.objects.filter(user=user).update(used=[True] * 10)
    assert not RecoveryCodeFactor().is_usable(user)


def test_nothing_is_last_when_the_org_requires_no_second_factor(user: User) -> None:
    device = add_totp(user)
    assert not is_last_required_factor(OrgPolicy(), user, without=device)


def test_the_only_totp_is_the_last_factor(user: User) -> None:
    device = add_totp(user)
    assert is_last_required_factor(REQUIRED, user, without=device)
    assert is_last_required_factor(REQUIRED, user, without=TOTP)
    add_passkey(user)
    assert not is_last_required_factor(REQUIRED, user, without=device)


def test_recovery_codes_keep_another_factor_removable(user: User) -> None:
    device = add_totp(user)
    recovery_codes_generate(actor=ACTOR, user=user)
    assert not is_last_required_factor(REQUIRED, user, without=device)
    assert not is_last_required_factor(REQUIRED, user, without=RECOVERY_CODE)


def test_other_passkeys_still_count_when_one_is_removed(user: User) -> None:
    first, second = add_passkey(user), add_passkey(user)
    assert not is_last_required_factor(REQUIRED, user, without=first)
    second.delete()
    assert is_last_required_factor(REQUIRED, user, without=first)


def test_removing_every_passkey_discounts_the_kind(user: User) -> None:
    add_passkey(user)
    add_passkey(user)
    assert is_last_required_factor(REQUIRED, user, without=PASSKEY)
