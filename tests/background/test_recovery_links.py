"""Account recovery links: emailed, single-use, expiring, per organisation, and silent about
which addresses have an account."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from datetime import timedelta
from functools import partial

import pytest
from django.utils import timezone

from auth_methods.audit import Actor
from auth_methods.errors import AuthError
from auth_methods.models import AuditEvent, OutboxMessage, Passkey, RecoveryLink, User
from auth_methods.outbox import outbox_body
from auth_methods.recovery import (
    recovery_link_redeem,
    recovery_link_request,
    revoke_other_passkeys,
)
from tenants.context import with_org
from tenants.models import Organisation

pytestmark = pytest.mark.django_db

ACTOR = Actor(ip="203.0.113.7", user_agent="pytest")
BASE = "https://acme.example/"


def _request(email: str, actor: Actor = ACTOR) -> str | None:
    """Ask for a link; the token from the email, or None when no email was written."""
    before = set(OutboxMessage.objects.values_list("pk", flat=True))
    recovery_link_request(actor=actor, email=email, base_url=BASE)
    new = OutboxMessage.objects.exclude(pk__in=before)
    if not new:
        return None
    (message,) = new
    assert message.kind == "recovery_link"
    assert "/recover/" not in message.body  # the link is at rest only encrypted
    body = outbox_body(message)
    found = re.search(r"https://acme\.example/recover/([A-Za-z0-9_-]+)", body)
    assert found, body
    return found.group(1)


def _redeem_error(token: str) -> str:
    with pytest.raises(AuthError) as caught:
        recovery_link_redeem(actor=ACTOR, token=token)
    return caught.value.code


def _outcome(call: Callable[[], object]) -> str:
    try:
        call()
    except AuthError as exc:
        return exc.code
    return "ok"


@pytest.fixture
def ann(in_acme: Organisation) -> User:
    return User.objects.create_user("ann@example.com")


def test_a_link_is_emailed_to_the_user_and_stored_only_as_a_hash(ann: User) -> None:
    token = _request(" Ann@Example.com ")
    assert token is not None and len(token) >= 43  # 32 random bytes
    link = RecoveryLink.objects.get(user=ann)
    assert link.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert abs(link.expires_at - link.created_at - timedelta(minutes=15)) < timedelta(seconds=1)
    assert OutboxMessage.objects.get().to_email == "ann@example.com"
    assert AuditEvent.objects.filter(action="recovery_link.request", subject=ann).count() == 1


def test_a_link_signs_in_once(ann: User) -> None:
    token = _request("ann@example.com")
    assert token is not None
    assert recovery_link_redeem(actor=ACTOR, token=token) == ann
    assert RecoveryLink.objects.get().used_at is not None
    assert _redeem_error(token) == "challenge_invalid"
    outcomes = AuditEvent.objects.filter(action="recovery_link.redeem").order_by("id")
    assert [(e.outcome, e.code, e.subject_id) for e in outcomes] == [
        ("success", "", ann.pk),
        ("failure", "challenge_invalid", None),
    ]


def test_a_link_expires_after_15_minutes(ann: User) -> None:
    token = _request("ann@example.com")
    assert token is not None
    past = timezone.now() - timedelta(minutes=15, seconds=1)
    RecoveryLink.objects.update(created_at=past - timedelta(minutes=15), expires_at=past)
    assert _redeem_error(token) == "challenge_expired"
    assert RecoveryLink.objects.get().used_at is None
    failure = AuditEvent.objects.get(action="recovery_link.redeem")
    assert (failure.outcome, failure.code, failure.subject_id) == (
        "failure",
        "challenge_expired",
        ann.pk,
    )


def test_an_unknown_token_is_invalid(ann: User) -> None:
    _request("ann@example.com")
    assert _redeem_error("not-a-token") == "challenge_invalid"
    assert _redeem_error("") == "challenge_invalid"


def test_a_new_link_replaces_the_previous_one(ann: User) -> None:
    first, second = _request("ann@example.com"), _request("ann@example.com")
    assert first and second and first != second
    assert _redeem_error(first) == "challenge_invalid"
    assert recovery_link_redeem(actor=ACTOR, token=second) == ann


def test_a_disabled_users_link_does_not_sign_in(ann: User) -> None:
    token = _request("ann@example.com")
    assert token is not None
    User.objects.filter(pk=ann.pk).update(is_active=False)
    assert _redeem_error(token) == "user_inactive"


@pytest.mark.parametrize("email", ["nobody@example.com", "disabled@example.com"])
def test_an_address_without_an_active_account_looks_the_same_and_gets_nothing(
    ann: User, email: str
) -> None:
    User.objects.create_user("disabled@example.com", is_active=False)
    # The same answer (none, no error) for each; only the real account gets an email.
    outcomes = [
        _outcome(partial(recovery_link_request, actor=ACTOR, email=e, base_url=BASE))
        for e in (email, "ann@example.com")
    ]
    assert outcomes == ["ok", "ok"]
    assert OutboxMessage.objects.get().to_email == "ann@example.com"
    assert RecoveryLink.objects.count() == 1


@pytest.mark.parametrize("email", ["ann@example.com", "nobody@example.com"])
def test_requests_are_rate_limited_per_address_whether_or_not_it_exists(
    ann: User, email: str
) -> None:
    for i in range(5):
        recovery_link_request(actor=Actor(ip=f"198.51.100.{i}"), email=email, base_url=BASE)
    with pytest.raises(AuthError) as caught:
        recovery_link_request(actor=Actor(ip="198.51.100.99"), email=email, base_url=BASE)
    assert caught.value.code == "rate_limited"


def test_requests_are_rate_limited_per_ip(ann: User) -> None:
    for i in range(20):
        recovery_link_request(actor=ACTOR, email=f"user{i}@example.com", base_url=BASE)
    with pytest.raises(AuthError) as caught:
        recovery_link_request(actor=ACTOR, email="ann@example.com", base_url=BASE)
    assert caught.value.code == "rate_limited"
    assert not OutboxMessage.objects.exists()


def test_another_orgs_token_is_unknown(acme: Organisation, globex: Organisation) -> None:
    with with_org(acme):
        ann = User.objects.create_user("ann@example.com")
        token = _request("ann@example.com")
    assert token is not None
    with with_org(globex):
        User.objects.create_user("ann@example.com")  # the same address, another person
        assert _redeem_error(token) == "challenge_invalid"
    with with_org(acme):
        assert recovery_link_redeem(actor=ACTOR, token=token) == ann


def _passkey(user: User, n: int) -> Passkey:
    return Passkey.objects.create(
        user=user,
        credential_id=bytes([n]) * 16,
        public_key=b"key",
        algorithm=-7,
        aaguid="00000000-0000-0000-0000-000000000000",
        label=f"Key {n}",
    )


def test_after_a_recovery_the_other_passkeys_can_be_revoked(ann: User) -> None:
    kept, lost, stolen = _passkey(ann, 1), _passkey(ann, 2), _passkey(ann, 3)
    bob = User.objects.create_user("bob@example.com")
    bobs = _passkey(bob, 4)
    assert revoke_other_passkeys(actor=ACTOR, user=ann, keep_ids=[kept.pk, bobs.pk]) == 2
    assert list(Passkey.objects.order_by("pk")) == [kept, bobs]
    event = AuditEvent.objects.get(action="passkey.revoke_others")
    assert (event.subject_id, len(event.data["removed"])) == (ann.pk, 2)
    emails = OutboxMessage.objects.filter(kind="passkey_removed").order_by("id")
    assert [m.to_email for m in emails] == ["ann@example.com"] * 2
    assert [lost.label in emails[0].body, stolen.label in emails[1].body] == [True, True]
