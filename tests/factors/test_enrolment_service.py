"""Setting up a second factor inside the half-done sign-in, as a service: due only under
mfa_required for someone with none, offered as the policy allows, refused otherwise with
nothing written, and audited either way."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pyotp
import pytest

from auth_methods.audit import Actor, Via
from auth_methods.enrolment import (
    enrol_passkey,
    enrol_passkey_options,
    enrol_totp_begin,
    enrol_totp_confirm,
    enrolment_choices,
    enrolment_due,
)
from auth_methods.errors import AuthError
from auth_methods.models import AuditEvent, Challenge, Passkey, TotpDevice, User
from auth_methods.passkeys.services import CeremonyContext
from auth_methods.policy import OrgPolicy
from auth_methods.users import user_create
from tenants.context import with_org
from tenants.models import Organisation

pytestmark = pytest.mark.django_db

POLICY = OrgPolicy(org_name="Acme Corp", primary_host="acme.localhost", mfa_required=True)


@pytest.fixture
def user(acme: Organisation) -> Iterator[User]:
    with with_org(acme):
        yield user_create(email="ada@acme.test", password="a-Long-passphrase-1")


def pending(user: User) -> Actor:
    """The actor ``sessions.pending_actor`` builds: the password checked just now."""
    return Actor(user=user, label=user.email, via=Via.SESSION, authenticated_at=time.time())


def add_passkey(user: User, **facts: Any) -> Passkey:
    values: dict[str, Any] = {"algorithm": -7, "user_verified": True} | facts
    return Passkey.objects.create(
        user=user, credential_id=os.urandom(16), public_key=b"k", **values
    )


def kinds(policy: OrgPolicy, user: User) -> list[str]:
    return [f.kind for f in enrolment_choices(policy, user)]


def test_it_is_due_only_under_mfa_required_for_someone_without_a_usable_factor(
    user: User,
) -> None:
    assert enrolment_due(POLICY, user)
    assert not enrolment_due(replace(POLICY, mfa_required=False), user)
    flagged = add_passkey(user, flagged=True)  # a passkey that cannot sign in counts for nothing
    assert enrolment_due(POLICY, user)
    flagged.delete()
    add_passkey(user)
    assert not enrolment_due(POLICY, user)


@pytest.mark.parametrize(
    "changes,expected",
    [
        ({}, ["passkey", "totp"]),
        ({"passkey_registration_enabled": False}, ["totp"]),
        ({"passkey_login_enabled": False}, ["totp"]),  # it could not be passed at sign-in
        ({"max_passkeys_per_user": 1}, ["totp"]),  # the flagged one fills the quota
    ],
)
def test_passkeys_are_offered_only_as_the_policy_allows(
    user: User, changes: dict[str, Any], expected: list[str]
) -> None:
    add_passkey(user, flagged=True)
    assert kinds(replace(POLICY, **changes), user) == expected


def test_nothing_can_be_set_up_when_it_is_not_due(user: User) -> None:
    add_passkey(user)
    ctx = CeremonyContext(policy=POLICY, actor=pending(user))
    for attempt in (
        lambda: enrol_passkey_options(ctx=ctx, user=user),
        lambda: enrol_passkey(ctx=ctx, user=user, credential={}),
        lambda: enrol_totp_begin(policy=POLICY, user=user, issuer="Acme"),
        lambda: enrol_totp_confirm(policy=POLICY, actor=pending(user), user=user, code="1"),
    ):
        with pytest.raises(AuthError) as caught:
            attempt()
        assert caught.value.code == "forbidden"
    assert not Challenge.objects.exists() and not TotpDevice.objects.exists()


def test_a_passkey_is_not_offered_where_registration_is_off(user: User) -> None:
    policy = replace(POLICY, passkey_registration_enabled=False)
    with pytest.raises(AuthError) as caught:
        enrol_passkey_options(ctx=CeremonyContext(policy=policy, actor=pending(user)), user=user)
    assert caught.value.code == "forbidden" and not Challenge.objects.exists()


def test_an_app_confirmed_there_is_audited_as_the_sign_in_it_completes(user: User) -> None:
    secret = enrol_totp_begin(policy=POLICY, user=user, issuer="Acme").secret_b32
    with pytest.raises(AuthError) as caught:
        enrol_totp_confirm(policy=POLICY, actor=pending(user), user=user, code="000000")
    assert caught.value.code == "invalid_request" and enrolment_due(POLICY, user)
    enrol_totp_confirm(policy=POLICY, actor=pending(user), user=user, code=pyotp.TOTP(secret).now())
    assert not enrolment_due(POLICY, user)
    events = list(
        AuditEvent.objects.filter(subject=user).order_by("pk").values_list("action", "outcome")
    )
    assert events == [
        ("totp.enable", AuditEvent.Outcome.FAILURE),
        ("totp.enable", AuditEvent.Outcome.SUCCESS),
        ("second_factor.enrol_at_sign_in", AuditEvent.Outcome.SUCCESS),
    ]
    done = AuditEvent.objects.get(action="second_factor.enrol_at_sign_in")
    assert done.data == {"factor": "totp", "amr": ["pwd"]} and done.actor_id == user.pk


def test_a_refused_passkey_is_audited_and_writes_nothing(user: User) -> None:
    ctx = CeremonyContext(policy=POLICY, actor=pending(user))
    with pytest.raises(AuthError):
        enrol_passkey(ctx=ctx, user=user, credential={"id": "x"})
    assert not Passkey.objects.exists()
    failure = AuditEvent.objects.get(action="passkey.register")
    assert failure.outcome == AuditEvent.Outcome.FAILURE and failure.subject_id == user.pk


def test_a_password_older_than_ten_minutes_enrols_nothing(user: User) -> None:
    stale = replace(pending(user), authenticated_at=time.time() - 601)
    secret = enrol_totp_begin(policy=POLICY, user=user, issuer="Acme").secret_b32
    with pytest.raises(AuthError) as caught:
        enrol_totp_confirm(policy=POLICY, actor=stale, user=user, code=pyotp.TOTP(secret).now())
    assert caught.value.code == "reauthentication_required"
    with pytest.raises(AuthError) as caught:
        enrol_passkey_options(ctx=CeremonyContext(policy=POLICY, actor=stale), user=user)
    assert caught.value.code == "reauthentication_required"
    assert enrolment_due(POLICY, user) and not Challenge.objects.exists()
