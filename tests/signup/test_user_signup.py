"""/signup on an org host: people create their own account when the org's policy allows it."""

from __future__ import annotations

import re
import threading
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from django.db import connections
from django.test import Client

from auth_methods import user_signup
from auth_methods.audit import Actor
from auth_methods.errors import AuthError
from auth_methods.models import AuditEvent, OutboxMessage, User
from auth_methods.settings_service import auth_settings_update, policy_for
from auth_methods.user_signup import user_signup_confirm
from tenants.context import with_org
from tenants.models import Organisation
from tests.portal.conftest import make_user
from tests.support.db import snapshot

pytestmark = pytest.mark.django_db
LINK = re.compile(r"http://acme\.localhost(/signup/confirm/\S+)")


def set_policy(org: Organisation, **changes: Any) -> None:
    with with_org(org):
        auth_settings_update(org=org, actor=Actor(label="test"), changes=changes)


@pytest.fixture
def signup_on(acme: Organisation) -> None:
    set_policy(acme, self_signup_enabled=True)


def written(org: Organisation) -> dict[str, Any]:
    """Everything a sign-up could write: users, outbox and the sign-up audit rows."""
    with with_org(org):
        return {
            **snapshot(org),
            "outbox": list(OutboxMessage.objects.values_list("kind", "to_email")),
            "audit": list(
                AuditEvent.objects.filter(action__startswith="user_signup.").values_list(
                    "action", "outcome", "code"
                )
            ),
        }


def audit_rows(org: Organisation) -> list[tuple[str, str, str]]:
    return list(written(org)["audit"])


def ask(client: Client, email: str, capture: Any, **extra: Any) -> Any:
    with capture(execute=True):
        return client.post("/signup", {"email": email}, **extra)


def link_from(mails: list[Any]) -> str:
    found = LINK.search(str(mails[-1].body))
    assert found is not None, mails[-1].body
    return found.group(1)


# --- off -------------------------------------------------------------------------------------


def test_while_off_the_pages_do_not_exist_and_the_login_page_has_no_link(
    acme: Organisation, acme_client: Client
) -> None:
    before = written(acme)
    assert acme_client.get("/signup").status_code == 404
    assert acme_client.post("/signup", {"email": "new@acme.test"}).status_code == 404
    assert acme_client.get("/signup/confirm/anything").status_code == 404
    assert acme_client.post("/signup/confirm/anything").status_code == 404
    assert 'href="/signup"' not in acme_client.get("/login").content.decode()
    assert written(acme) == before


def test_it_stays_off_while_passkey_registration_is_off(
    acme: Organisation, acme_client: Client
) -> None:
    # The new member's passkey is their only way in: no sign-up without registration.
    set_policy(acme, self_signup_enabled=True, passkey_registration_enabled=False)
    assert acme_client.get("/signup").status_code == 404
    assert 'href="/signup"' not in acme_client.get("/login").content.decode()


def test_a_link_stops_working_when_sign_up_is_turned_off(
    acme: Organisation,
    signup_on: None,
    acme_client: Client,
    mailoutbox: list[Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    ask(acme_client, "late@acme.test", django_capture_on_commit_callbacks)
    path = link_from(mailoutbox)
    set_policy(acme, self_signup_enabled=False)
    before = written(acme)
    assert acme_client.post(path).status_code == 404
    assert written(acme) == before


# --- the way through -------------------------------------------------------------------------


def test_a_person_signs_up_confirms_the_link_and_is_sent_to_register_a_passkey(
    acme: Organisation,
    signup_on: None,
    acme_client: Client,
    mailoutbox: list[Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    assert 'href="/signup"' in acme_client.get("/login").content.decode()
    assert acme_client.get("/signup").status_code == 200
    response = ask(acme_client, " New@Acme.test ", django_capture_on_commit_callbacks)
    assert response.status_code == 200 and "Check your email" in response.content.decode()
    assert [m.to for m in mailoutbox] == [["new@acme.test"]]
    path = link_from(mailoutbox)
    with with_org(acme):
        assert not User.objects.filter(email="new@acme.test").exists()
        # The audit keeps no usable link (only, once used, a digest of it).
        audit = str(list(AuditEvent.objects.values_list("data", flat=True)))
    assert path.rsplit("/", 1)[1] not in audit

    browser = Client(HTTP_HOST="acme.localhost")
    assert browser.get(path).status_code == 200  # a mail scanner's GET creates nothing
    with with_org(acme):
        assert not User.objects.filter(email="new@acme.test").exists()
    response = browser.post(path)
    assert response.status_code == 302
    assert response["Location"] == "/account/security?enrol=1"
    with with_org(acme):
        user = User.objects.get(email="new@acme.test")
    assert user.role == User.Role.MEMBER and user.is_active
    assert not user.has_usable_password() and user.passkey_enrolment_required
    page = browser.get("/account/security?enrol=1")
    assert page.status_code == 200 and "new@acme.test" in page.content.decode()
    assert audit_rows(acme) == [
        ("user_signup.confirm", "success", ""),
        ("user_signup.request", "success", ""),
    ]
    with with_org(acme):
        confirm = AuditEvent.objects.get(action="user_signup.confirm")
        created = AuditEvent.objects.get(action="user.create", subject=user)
    assert confirm.subject == user and created.actor_label == "anonymous"


# --- refused ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "email", ["", "no-at-sign", "a@nodot", "two words@acme.test", "@acme.test"]
)
def test_a_bad_address_is_refused_and_nothing_but_the_audit_is_written(
    acme: Organisation,
    signup_on: None,
    acme_client: Client,
    mailoutbox: list[Any],
    django_capture_on_commit_callbacks: Any,
    email: str,
) -> None:
    before = written(acme)
    response = ask(acme_client, email, django_capture_on_commit_callbacks)
    assert response.status_code == 400
    assert 'class="errorlist"' in response.content.decode()
    assert mailoutbox == []
    after = written(acme)
    refused = [("user_signup.request", "failure", "invalid_request")] if email else []
    assert after == {**before, "audit": refused + before["audit"]}


def test_one_address_gets_three_links_an_hour(
    acme: Organisation,
    signup_on: None,
    mailoutbox: list[Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    for n in range(3):  # from three different clients: the address's own budget
        client = Client(HTTP_HOST="acme.localhost", REMOTE_ADDR=f"10.0.0.{n + 1}")
        assert ask(client, "flood@acme.test", django_capture_on_commit_callbacks).status_code == 200
    before = written(acme)
    client = Client(HTTP_HOST="acme.localhost", REMOTE_ADDR="10.0.0.9")
    response = ask(client, "flood@acme.test", django_capture_on_commit_callbacks)
    assert response.status_code == 429 and "Too many sign-ups" in response.content.decode()
    assert len(mailoutbox) == 3
    after = written(acme)
    refused = [("user_signup.request", "failure", "rate_limited")]
    assert after == {**before, "audit": refused + before["audit"]}


def test_one_client_gets_ten_sign_ups_an_hour(
    acme: Organisation,
    signup_on: None,
    acme_client: Client,
    mailoutbox: list[Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    for n in range(10):
        response = ask(acme_client, f"p{n}@acme.test", django_capture_on_commit_callbacks)
        assert response.status_code == 200
    before = written(acme)
    response = ask(acme_client, "p10@acme.test", django_capture_on_commit_callbacks)
    assert response.status_code == 429
    assert len(mailoutbox) == 10
    assert written(acme)["outbox"] == before["outbox"]
    assert written(acme)["users"] == before["users"]


def test_an_existing_address_gets_the_same_answer_and_a_you_have_an_account_mail(
    acme: Organisation,
    signup_on: None,
    acme_client: Client,
    mailoutbox: list[Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    make_user(acme, "taken@acme.test")
    new = ask(acme_client, "fresh@acme.test", django_capture_on_commit_callbacks)
    taken = ask(acme_client, "taken@acme.test", django_capture_on_commit_callbacks)
    assert taken.status_code == new.status_code == 200
    assert taken.content.decode().replace("taken@", "fresh@") == new.content.decode()
    assert len(mailoutbox) == 2
    reply = mailoutbox[1]
    assert reply.to == ["taken@acme.test"] and "already has one" in reply.body
    assert "/signup/confirm/" not in reply.body and "http://acme.localhost/recover" in reply.body
    with with_org(acme):
        assert User.objects.filter(email="taken@acme.test").count() == 1
        event = AuditEvent.objects.filter(action="user_signup.request").order_by("id").last()
    assert event is not None and event.data == {"email": "taken@acme.test", "existing": True}


def test_a_disabled_address_gets_the_same_answer_and_no_mail(
    acme: Organisation,
    signup_on: None,
    acme_client: Client,
    mailoutbox: list[Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    make_user(acme, "gone@acme.test")
    with with_org(acme):
        User.objects.filter(email="gone@acme.test").update(is_active=False)
    response = ask(acme_client, "gone@acme.test", django_capture_on_commit_callbacks)
    assert response.status_code == 200 and "Check your email" in response.content.decode()
    assert mailoutbox == []


# --- the link --------------------------------------------------------------------------------


@pytest.fixture
def link(
    signup_on: None,
    acme_client: Client,
    mailoutbox: list[Any],
    django_capture_on_commit_callbacks: Any,
) -> str:
    ask(acme_client, "linked@acme.test", django_capture_on_commit_callbacks)
    return link_from(mailoutbox)


def refused(org: Organisation, path: str, code: str, host: str = "acme.localhost") -> None:
    before = written(org)
    response = Client(HTTP_HOST=host).post(path)
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()
    after = written(org)
    assert (after["users"], after["outbox"]) == (before["users"], before["outbox"])
    assert after["audit"] == [("user_signup.confirm", "failure", code), *before["audit"]]


def test_a_used_link_is_refused(acme: Organisation, link: str) -> None:
    assert Client(HTTP_HOST="acme.localhost").post(link).status_code == 302
    refused(acme, link, "challenge_invalid")
    with with_org(acme):
        assert User.objects.filter(email="linked@acme.test").count() == 1


def test_a_used_link_cannot_make_the_account_again_after_it_was_deleted(
    acme: Organisation, link: str
) -> None:
    assert Client(HTTP_HOST="acme.localhost").post(link).status_code == 302
    with with_org(acme):
        User.objects.filter(email="linked@acme.test").delete()
    refused(acme, link, "challenge_invalid")
    with with_org(acme):
        assert not User.objects.filter(email="linked@acme.test").exists()


def test_an_expired_link_is_refused(
    acme: Organisation, link: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(user_signup, "LINK_TTL", timedelta(seconds=-1))
    refused(acme, link, "challenge_expired")


@pytest.mark.parametrize(
    "forge",
    [
        lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),  # a changed signature
        lambda t: "e" + t[1:] if t[0] != "e" else "f" + t[1:],  # a changed address
        lambda t: "not-a-token",
    ],
)
def test_a_forged_link_is_refused(acme: Organisation, link: str, forge: Any) -> None:
    prefix, token = link.rsplit("/", 1)
    refused(acme, f"{prefix}/{forge(token)}", "challenge_invalid")


def test_a_link_of_another_org_is_refused(
    acme: Organisation, globex: Organisation, link: str
) -> None:
    set_policy(globex, self_signup_enabled=True)
    refused(globex, link, "challenge_invalid", host="globex.localhost")


def test_two_racing_uses_of_one_link_make_one_account(
    acme: Organisation, link: str, orgs: dict[str, Organisation]
) -> None:
    token = link.rsplit("/", 1)[1]
    with with_org(acme):
        policy = replace(policy_for(acme), self_signup_enabled=True)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def confirm() -> None:
        try:
            with with_org(acme):
                barrier.wait(timeout=10)
                user_signup_confirm(policy=policy, actor=Actor(label="race"), token=token)
            outcomes.append("created")
        except AuthError as exc:
            outcomes.append(exc.code)
        finally:
            connections.close_all()

    racers = [threading.Thread(target=confirm) for _ in range(2)]
    try:
        for racer in racers:
            racer.start()
        for racer in racers:
            racer.join(timeout=30)
        assert sorted(outcomes) == ["challenge_invalid", "created"]
    finally:
        # The racers committed on their own connections: take their rows away again.
        def cleanup() -> None:
            try:
                with with_org(acme):
                    AuditEvent.objects.filter(actor_label="race").delete()
                    User.objects.filter(email="linked@acme.test").delete()
            finally:
                connections.close_all()

        cleaner = threading.Thread(target=cleanup)
        cleaner.start()
        cleaner.join(timeout=30)
