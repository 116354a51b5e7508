"""/account/password: the page door of a password change, and the security page's section."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from auth_methods.audit import Actor
from auth_methods.models import AuditEvent, OutboxMessage, Passkey, User
from auth_methods.recovery import LINK_TTL, link_issue
from auth_methods.settings_service import auth_settings_update
from auth_methods.users import user_create
from tenants.context import with_org
from tenants.models import Organisation
from tests.portal.conftest import PASSWORD, signed_in
from tests.support.sessions import fresh_login

pytestmark = pytest.mark.django_db

NEW = "Another-long-one-2"


def change(client: Client, new: str = NEW, again: str | None = None) -> Any:
    form = {"new_password": new, "new_password_again": new if again is None else again}
    return client.post("/account/password", form)


def written(org: Organisation) -> tuple[Any, ...]:
    with with_org(org):
        return (
            sorted(User.objects.values_list("email", "password", "session_epoch")),
            AuditEvent.objects.filter(action__startswith="password.", outcome="success").count(),
            OutboxMessage.objects.count(),
        )


def can_sign_in(org: Organisation, user: User, password: str) -> bool:
    client = Client(HTTP_HOST=f"{org.slug}.localhost")
    response = client.post("/login", {"email": user.email, "password": password})
    return response.status_code == 302


def add_passkey(org: Organisation, user: User) -> None:
    with with_org(org):
        Passkey.objects.create(
            user=user,
            credential_id=b"\x07" * 16,
            public_key=b"key",
            algorithm=-7,
            aaguid="00000000-0000-0000-0000-000000000000",
            label="Laptop",
        )


def passwordless_only(org: Organisation) -> None:
    with with_org(org):
        auth_settings_update(
            org=org, actor=Actor(label="test"), changes={"passwordless_only": True}
        )


def test_the_security_page_offers_the_change(member_client: Client) -> None:
    page = member_client.get("/account/security").content.decode()
    assert 'href="/account/password">Change password<' in page


def test_a_change_keeps_this_session_ends_the_others_and_swaps_the_password(
    acme: Organisation, member: User, member_client: Client
) -> None:
    other = signed_in(acme, member)
    response = change(member_client)
    assert (response.status_code, response["Location"]) == (302, "/account/security")
    page = member_client.get("/account/security")
    assert page.status_code == 200 and "Every other device was signed out" in page.content.decode()
    assert other.get("/account/security")["Location"].startswith("/login")
    assert can_sign_in(acme, member, NEW) and not can_sign_in(acme, member, PASSWORD)


def test_every_broken_rule_is_shown_and_nothing_is_written(
    acme: Organisation, member_client: Client
) -> None:
    before = written(acme)
    response = change(member_client, "1234567")
    assert response.status_code == 400
    page = response.content.decode()
    assert "too short" in page and "too common" in page
    assert "1234567" not in page  # never echoed back
    assert written(acme) == before


def test_two_different_entries_are_refused(acme: Organisation, member_client: Client) -> None:
    before = written(acme)
    response = change(member_client, NEW, NEW + "x")
    assert response.status_code == 400
    assert "The two passwords are not the same." in response.content.decode()
    assert written(acme) == before


def test_a_recovery_link_session_is_sent_to_re_confirm(acme: Organisation, member: User) -> None:
    with with_org(acme):
        token = link_issue(member, LINK_TTL)
    recovered = Client(HTTP_HOST="acme.localhost")
    assert recovered.post(f"/recover/{token}").status_code == 302
    before = written(acme)
    for response in (recovered.get("/account/password"), change(recovered)):
        assert response["Location"].startswith("/login/confirm?next=")
    assert written(acme) == before


def test_a_passkey_user_without_a_password_may_set_one(acme: Organisation) -> None:
    with with_org(acme):
        bo = user_create(email="bo@acme.test")
        browser = fresh_login(Client(HTTP_HOST="acme.localhost"), bo)
    add_passkey(acme, bo)
    page = browser.get("/account/security").content.decode()
    assert 'href="/account/password">Set a password<' in page
    assert "Set password" in browser.get("/account/password").content.decode()
    assert change(browser).status_code == 302
    assert can_sign_in(acme, bo, NEW)


def test_passwordless_only_hides_and_refuses_it_for_a_passkey_holder(
    acme: Organisation, member: User, member_client: Client
) -> None:
    add_passkey(acme, member)
    passwordless_only(acme)
    page = member_client.get("/account/security").content.decode()
    assert 'href="/account/password"' not in page and "sign in with your passkey" in page
    assert 'href="/account/password/remove"' in page  # a password it may not use may go
    before = written(acme)
    for response in (member_client.get("/account/password"), change(member_client)):
        assert (response.status_code, response["Location"]) == (302, "/account/security")
    assert written(acme) == before


def test_a_session_from_another_org_changes_nothing(
    acme: Organisation, globex: Organisation, other_org_admin_client: Client
) -> None:
    before = written(acme), written(globex)
    response = change(other_org_admin_client)
    assert response["Location"].startswith("/login")
    assert (written(acme), written(globex)) == before


def test_a_passkey_holder_removes_the_password_and_signs_out_the_others(
    acme: Organisation, member: User, member_client: Client
) -> None:
    other = signed_in(acme, member)
    add_passkey(acme, member)
    page = member_client.get("/account/security").content.decode()
    assert 'href="/account/password/remove">Remove password<' in page
    assert "Remove your password?" in member_client.get("/account/password/remove").content.decode()
    response = member_client.post("/account/password/remove")
    assert (response.status_code, response["Location"]) == (302, "/account/security")
    page = member_client.get("/account/security").content.decode()
    assert "Password removed." in page and 'href="/account/password">Set a password<' in page
    assert other.get("/account/security")["Location"].startswith("/login")
    assert not can_sign_in(acme, member, PASSWORD)


def test_the_last_way_in_is_not_offered_for_removal_nor_removed(
    acme: Organisation, member: User, member_client: Client
) -> None:
    assert "/account/password/remove" not in member_client.get("/account/security").content.decode()
    before = written(acme)
    response = member_client.post("/account/password/remove")
    assert response["Location"] == "/account/security"
    assert "add a passkey first" in member_client.get("/account/security").content.decode()
    assert written(acme) == before
