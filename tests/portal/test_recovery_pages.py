from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from auth_methods.models import Passkey, User
from tenants.context import with_org
from tenants.models import Organisation
from tests.api.conftest import make_api

pytestmark = pytest.mark.django_db


def ask(client: Client, email: str, capture: Any) -> str:
    with capture(execute=True):
        response = client.post("/recover", {"email": email})
    assert response.status_code == 200
    return response.content.decode()


def test_a_lost_passkey_link_signs_in_once(
    acme: Organisation, member: User, mailoutbox: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    client = Client(HTTP_HOST="acme.localhost")
    assert "Lost your passkey?" in client.get("/login").content.decode()
    page = ask(client, member.email, django_capture_on_commit_callbacks)
    assert "Check your email" in page
    assert len(mailoutbox) == 1 and mailoutbox[0].to == [member.email]
    link = re.search(r"http://acme\.localhost/recover/(\S+)", mailoutbox[0].body)
    assert link is not None
    path = f"/recover/{link.group(1)}"
    assert client.get(path).status_code == 200  # a mail scanner's GET uses nothing up
    response = client.post(path)
    assert response.status_code == 302 and response["Location"] == "/account/security"
    assert "Remove all my older passkeys" in client.get("/account/security").content.decode()
    again = Client(HTTP_HOST="acme.localhost").post(path)
    assert again.status_code == 400


def test_an_unknown_email_gets_the_same_answer_and_no_mail(
    acme: Organisation, mailoutbox: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    page = ask(
        Client(HTTP_HOST="acme.localhost"), "nobody@acme.test", django_capture_on_commit_callbacks
    )
    assert "Check your email" in page and mailoutbox == []


def test_a_link_of_one_org_is_unknown_on_another(
    acme: Organisation,
    globex: Organisation,
    member: User,
    mailoutbox: list[Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    ask(Client(HTTP_HOST="acme.localhost"), member.email, django_capture_on_commit_callbacks)
    token = re.search(r"/recover/(\S+)", mailoutbox[0].body).group(1)  # type: ignore[union-attr]
    response = Client(HTTP_HOST="globex.localhost").post(f"/recover/{token}")
    assert response.status_code == 400


def test_after_recovery_older_passkeys_can_be_removed(
    acme: Organisation, member: User, mailoutbox: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    with with_org(acme):
        member.external_id = "m1"
        member.save()
    assert make_api(acme, []).register("m1", member.email).status_code == 201  # the lost one
    client = Client(HTTP_HOST="acme.localhost")
    ask(client, member.email, django_capture_on_commit_callbacks)
    token = re.search(r"/recover/(\S+)", mailoutbox[0].body).group(1)  # type: ignore[union-attr]
    assert client.post(f"/recover/{token}").status_code == 302
    response = client.post("/account/passkeys/revoke-others")
    assert response.status_code == 302
    with with_org(acme):
        assert not Passkey.objects.filter(user=member).exists()
