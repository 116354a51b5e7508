from __future__ import annotations

import time

import pytest
from django.test import Client

from auth_methods.models import AuditEvent, User
from tenants.context import with_org
from tenants.models import Organisation
from tests.portal.conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db


def test_the_login_page_offers_password_and_passkey(acme: Organisation) -> None:
    page = Client(HTTP_HOST="acme.localhost").get("/login").content.decode()
    assert 'autocomplete="username webauthn"' in page
    assert 'id="passkey-sign-in"' in page and "js/pages/login.js" in page
    assert "<script>" not in page  # no inline script


def test_a_password_signs_in_and_honours_a_same_host_next(acme: Organisation, admin: User) -> None:
    client = Client(HTTP_HOST="acme.localhost")
    response = client.post(
        "/login", {"email": "ADMIN@acme.test", "password": PASSWORD, "next": "/orgs/acme/portal/"}
    )
    assert response.status_code == 302 and response["Location"] == "/orgs/acme/portal/"
    assert client.get("/orgs/acme/portal/").status_code == 200


def test_a_password_with_outer_spaces_works_as_it_was_set(acme: Organisation) -> None:
    spaced = f"  {PASSWORD} "
    with with_org(acme):
        User.objects.create_user("spaces@acme.test", password=spaced)
    client = Client(HTTP_HOST="acme.localhost")
    trimmed = client.post("/login", {"email": "spaces@acme.test", "password": spaced.strip()})
    assert trimmed.status_code == 400  # the spaces are part of it
    response = client.post("/login", {"email": "spaces@acme.test", "password": spaced})
    assert response.status_code == 302 and response["Location"] == "/"
    confirmed = client.post("/login/confirm", {"password": spaced})
    assert confirmed.status_code == 302


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/x", "http://acme.localhost.evil/"]
)
def test_next_never_leaves_the_host(acme: Organisation, admin: User, target: str) -> None:
    response = Client(HTTP_HOST="acme.localhost").post(
        "/login", {"email": admin.email, "password": PASSWORD, "next": target}
    )
    assert response.status_code == 302 and response["Location"] == "/"


@pytest.mark.parametrize(
    "email,password", [("admin@acme.test", "wrong"), ("nobody@acme.test", PASSWORD)]
)
def test_a_wrong_password_or_email_gets_one_message(
    acme: Organisation, admin: User, email: str, password: str
) -> None:
    response = Client(HTTP_HOST="acme.localhost").post(
        "/login", {"email": email, "password": password}
    )
    assert response.status_code == 400
    assert "That email and password do not match." in response.content.decode()
    with with_org(acme):
        assert AuditEvent.objects.filter(action="password.sign_in", outcome="failure").exists()


def test_a_disabled_user_cannot_sign_in(acme: Organisation) -> None:
    user = make_user(acme, "off@acme.test")
    with with_org(acme):
        User.objects.filter(pk=user.pk).update(is_active=False)
    response = Client(HTTP_HOST="acme.localhost").post(
        "/login", {"email": user.email, "password": PASSWORD}
    )
    assert response.status_code == 400


def test_password_attempts_are_rate_limited(acme: Organisation, admin: User) -> None:
    client = Client(HTTP_HOST="acme.localhost")
    for _ in range(10):
        client.post("/login", {"email": admin.email, "password": "wrong"})
    response = client.post("/login", {"email": admin.email, "password": PASSWORD})
    assert response.status_code == 400 and "Too many sign-in attempts" in response.content.decode()


def test_a_user_of_another_org_cannot_sign_in_here(
    acme: Organisation, globex: Organisation
) -> None:
    make_user(globex, "only@globex.test")
    response = Client(HTTP_HOST="acme.localhost").post(
        "/login", {"email": "only@globex.test", "password": PASSWORD}
    )
    assert response.status_code == 400


def test_a_second_factor_holds_the_session_until_the_passkey(
    acme: Organisation, admin: User
) -> None:
    from tests.api.conftest import make_api

    api = make_api(acme, ["admin"])
    assert api.register(admin.external_id, admin.email).status_code == 201
    client = Client(HTTP_HOST="acme.localhost")
    response = client.post("/login", {"email": admin.email, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"].startswith("/login/second-factor")
    assert "_auth_user_id" not in client.session
    assert client.get("/orgs/acme/portal/").status_code == 302  # not signed in yet
    chooser = client.get(response["Location"])
    assert chooser.status_code == 302 and chooser["Location"].startswith(
        "/login/second-factor/passkey"
    )
    page = client.get(chooser["Location"]).content.decode()
    assert "admin@acme.test" in page and "js/pages/second_factor.js" in page


def test_sign_out_needs_post(admin_client: Client) -> None:
    assert admin_client.get("/logout").status_code == 405
    assert admin_client.post("/logout").status_code == 302
    assert admin_client.get("/orgs/acme/portal/").status_code == 302


def test_a_half_done_sign_in_lapses_after_ten_minutes(
    acme: Organisation, admin: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    from auth_methods import sessions
    from tests.api.conftest import make_api

    assert make_api(acme, ["admin"]).register(admin.external_id, admin.email).status_code == 201
    client = Client(HTTP_HOST="acme.localhost")
    client.post("/login", {"email": admin.email, "password": PASSWORD})
    assert client.get("/login/second-factor/passkey").status_code == 200
    started = time.time()
    monkeypatch.setattr(time, "time", lambda: started + sessions.PENDING_SECONDS + 1)
    response = client.get("/login/second-factor/passkey")
    assert response.status_code == 302 and response["Location"] == "/login"
