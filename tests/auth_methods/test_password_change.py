"""auth_methods.password_change: a person changes, first sets or removes their own password."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.hashers import check_password
from django.contrib.sessions.backends.base import SessionBase
from django.contrib.sessions.backends.signed_cookies import SessionStore

from auth_methods.audit import Actor, Via
from auth_methods.errors import AuthError
from auth_methods.models import AuditEvent, OutboxMessage, Passkey, User
from auth_methods.password_change import password_change, password_remove
from auth_methods.policy import OrgPolicy
from auth_methods.reauth import RECENT_AUTH_SECONDS
from auth_methods.session_revocation import EPOCH
from auth_methods.users import user_create
from tenants.context import with_org
from tenants.models import Organisation

pytestmark = pytest.mark.django_db

OLD, NEW = "a-Long-passphrase-1", "Another-long-one-2"
POLICY = OrgPolicy()
PASSWORDLESS_ONLY = OrgPolicy(passwordless_only=True)


@pytest.fixture
def ada(acme: Organisation) -> Iterator[User]:
    with with_org(acme):
        yield user_create(email="ada@acme.test", password=OLD)


def fresh(user: User, **extra: Any) -> Actor:
    """Ada's browser session, signed in just now."""
    facts: dict[str, Any] = {"authenticated_at": time.time(), **extra}
    return Actor(user=user, label=user.email, via=Via.SESSION, **facts)


def add_passkey(user: User) -> Passkey:
    return Passkey.objects.create(
        user=user,
        credential_id=b"\x01" * 16,
        public_key=b"key",
        algorithm=-7,
        aaguid="00000000-0000-0000-0000-000000000000",
        label="Laptop",
    )


def written(user: User) -> tuple[Any, ...]:
    """What a change writes: the hash, the session epoch, successes and mail."""
    row = User.objects.get(pk=user.pk)
    done = AuditEvent.objects.filter(action__startswith="password.", outcome="success").count()
    return row.password, row.session_epoch, done, OutboxMessage.objects.count()


def session_of(user: User) -> SessionBase:
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session[EPOCH] = user.session_epoch
    return session


def refused(actor: Actor, user: User, *, policy: OrgPolicy = POLICY, new: str = NEW) -> AuthError:
    before = written(user)
    with pytest.raises(AuthError) as caught:
        password_change(actor=actor, user=user, policy=policy, new_password=new)
    assert written(user) == before
    return caught.value


def test_it_stores_the_new_password_hashed_with_argon2(ada: User) -> None:
    password_change(actor=fresh(ada), user=ada, policy=POLICY, new_password=NEW)
    stored = User.objects.get(pk=ada.pk).password
    assert stored.startswith("argon2$") and NEW not in stored
    assert check_password(NEW, stored) and not check_password(OLD, stored)


def test_a_stale_session_must_re_confirm_first(ada: User) -> None:
    stale = fresh(ada, authenticated_at=time.time() - RECENT_AUTH_SECONDS - 1)
    assert refused(stale, ada).code == "reauthentication_required"


def test_a_recovery_link_session_may_not_choose_the_password(ada: User) -> None:
    # It proves only that its holder reads the mailbox: that restores a passkey, no more.
    recovered = fresh(ada, authenticated_at=None, recovered_at=time.time())
    assert refused(recovered, ada).code == "reauthentication_required"


def test_it_names_every_validator_the_password_breaks(ada: User) -> None:
    error = refused(fresh(ada), ada, new="1234567")
    assert (error.code, error.field) == ("invalid_request", "new_password")
    assert "too short" in error.detail and "too common" in error.detail
    assert "too numeric" not in error.detail  # only the configured validators


def test_an_unbounded_password_is_refused_before_hashing(ada: User) -> None:
    error = refused(fresh(ada), ada, new="x" * 1025)
    assert (error.code, error.field) == ("invalid_request", "new_password")


def test_a_refusal_is_audited_without_the_password(ada: User) -> None:
    refused(fresh(ada), ada, new="password")
    event = AuditEvent.objects.get(action="password.change")
    assert (event.outcome, event.code, event.subject) == ("failure", "invalid_request", ada)
    assert "password" not in str(event.data)


def test_it_is_audited_and_emailed_without_the_password(ada: User) -> None:
    password_change(actor=fresh(ada), user=ada, policy=POLICY, new_password=NEW)
    event = AuditEvent.objects.get(action="password.change")
    assert (event.outcome, event.actor, event.subject) == ("success", ada, ada)
    assert event.data == {"first": False}
    mail = OutboxMessage.objects.get()
    assert (mail.kind, mail.to_email) == ("password_changed", "ada@acme.test")
    assert "password was changed" in mail.subject and "signed out" in mail.body
    assert NEW not in mail.body and NEW not in str(event.data)


def test_it_ends_every_other_session_and_keeps_this_one(ada: User) -> None:
    mine, other = session_of(ada), session_of(ada)
    password_change(actor=fresh(ada), user=ada, policy=POLICY, new_password=NEW, keep_session=mine)
    now = User.objects.get(pk=ada.pk)
    assert now.session_epoch == 1 and now.sessions_ended_at is not None
    # Both the epoch and Django's password hash of the kept session are the user's again.
    assert mine[EPOCH] == 1 and mine[HASH_SESSION_KEY] == now.get_session_auth_hash()
    assert other[EPOCH] == 0 and other[HASH_SESSION_KEY] != now.get_session_auth_hash()


def test_a_passkey_holder_without_a_password_may_set_a_first_one(acme: Organisation) -> None:
    with with_org(acme):
        bo = user_create(email="bo@acme.test")
        add_passkey(bo)
        password_change(actor=fresh(bo), user=bo, policy=POLICY, new_password=NEW)
        assert check_password(NEW, User.objects.get(pk=bo.pk).password)
        assert AuditEvent.objects.get(action="password.change").data == {"first": True}
        assert OutboxMessage.objects.get().subject.endswith("A password was set")


@pytest.mark.parametrize("has_password", [False, True])
def test_passwordless_only_refuses_a_passkey_holder_any_password(
    acme: Organisation, has_password: bool
) -> None:
    with with_org(acme):
        bo = user_create(email="bo@acme.test", password=OLD if has_password else None)
        add_passkey(bo)
        error = refused(fresh(bo), bo, policy=PASSWORDLESS_ONLY)
        assert error.code == "forbidden"
        assert AuditEvent.objects.get(action="password.change").code == "forbidden"


def test_passwordless_only_lets_someone_without_a_passkey_change_theirs(ada: User) -> None:
    password_change(actor=fresh(ada), user=ada, policy=PASSWORDLESS_ONLY, new_password=NEW)
    assert check_password(NEW, User.objects.get(pk=ada.pk).password)


def removal_refused(actor: Actor, user: User, policy: OrgPolicy = POLICY) -> AuthError:
    before = written(user)
    with pytest.raises(AuthError) as caught:
        password_remove(actor=actor, user=user, policy=policy)
    assert written(user) == before
    return caught.value


def test_a_passkey_holder_removes_the_password_and_the_other_sessions(ada: User) -> None:
    add_passkey(ada)
    mine, other = session_of(ada), session_of(ada)
    password_remove(actor=fresh(ada), user=ada, policy=POLICY, keep_session=mine)
    now = User.objects.get(pk=ada.pk)
    assert not now.has_usable_password() and not check_password(OLD, now.password)
    assert now.session_epoch == 1 and mine[EPOCH] == 1 and other[EPOCH] == 0
    assert mine[HASH_SESSION_KEY] == now.get_session_auth_hash()
    assert AuditEvent.objects.get(action="password.remove").outcome == "success"
    assert OutboxMessage.objects.get().kind == "password_removed"


def test_the_password_is_not_removed_when_it_is_the_last_way_in(ada: User) -> None:
    assert removal_refused(fresh(ada), ada).code == "last_factor"
    event = AuditEvent.objects.get(action="password.remove")
    assert (event.outcome, event.code) == ("failure", "last_factor")


def test_a_flagged_passkey_or_one_the_policy_refuses_is_no_way_in(ada: User) -> None:
    passkey = add_passkey(ada)
    assert removal_refused(fresh(ada), ada, OrgPolicy(passkey_login_enabled=False)).code == (
        "last_factor"
    )
    Passkey.objects.filter(pk=passkey.pk).update(flagged=True)
    assert removal_refused(fresh(ada), ada).code == "last_factor"


def test_under_two_factors_a_passkey_that_does_not_verify_its_user_is_no_way_in(
    ada: User,
) -> None:
    passkey = add_passkey(ada)
    Passkey.objects.filter(pk=passkey.pk).update(user_verified=False)
    two_factors = OrgPolicy(mfa_required=True)
    refusal = removal_refused(fresh(ada), ada, two_factors)
    assert refusal.code == "last_factor" and "PIN or biometrics" in refusal.detail
    Passkey.objects.filter(pk=passkey.pk).update(user_verified=True)
    password_remove(actor=fresh(ada), user=ada, policy=two_factors)
    assert not User.objects.get(pk=ada.pk).has_usable_password()


def test_there_is_nothing_to_remove_without_a_password(acme: Organisation) -> None:
    with with_org(acme):
        bo = user_create(email="bo@acme.test")
        add_passkey(bo)
        assert removal_refused(fresh(bo), bo).code == "not_found"


def test_removing_it_needs_a_recent_sign_in_not_a_recovery_link(ada: User) -> None:
    add_passkey(ada)
    stale = fresh(ada, authenticated_at=time.time() - RECENT_AUTH_SECONDS - 1)
    recovered = fresh(ada, authenticated_at=None, recovered_at=time.time())
    for actor in (stale, recovered):
        assert removal_refused(actor, ada).code == "reauthentication_required"
