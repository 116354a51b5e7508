"""No usable sign-in secret at rest (issue 10): after every flow that hands one out, no table
of the organisation's schema nor of the public schema holds it, before it is sent or used
and after. Each secret is looked for as issued (and in hex, for binary columns): a digest,
a keyed hash or a ciphertext of it may be stored, the value itself never."""

from __future__ import annotations

import re
from typing import Any

import pyotp
import pytest
from django.conf import settings
from django.test import Client

from auth_methods.api_keys import api_key_create
from auth_methods.audit import CLI, Actor
from auth_methods.crypto import decrypt
from auth_methods.models import OutboxMessage, TotpDevice, User
from auth_methods.org_signup import invitation_create
from auth_methods.outbox import outbox_body, outbox_send
from auth_methods.recovery import recovery_link_request, registration_link_send
from auth_methods.recovery_codes.services import recovery_code_consume, recovery_codes_generate
from auth_methods.settings_service import auth_settings_update
from auth_methods.totp.services import totp_begin, totp_confirm
from tenants.context import with_org
from tenants.models import Organisation, SignupRequest
from tests.api.conftest import Api
from tests.oidc.conftest import App, register_client
from tests.portal.conftest import PASSWORD, make_user
from tests.support.at_rest import holders

pytestmark = pytest.mark.django_db
ACTOR = Actor(ip="203.0.113.9", user_agent="pytest")
Mailbox = list[Any]


def assert_nowhere(org: Organisation, *secrets: str) -> None:
    """Not one table of ``org``'s schema or of the public schema holds any of ``secrets``."""
    for secret in secrets:
        assert holders(secret, org.schema_name, "public") == {}, secret


def _link_token(body: str, path: str) -> str:
    found = re.search(rf"{path}/(\S+)", body)
    assert found is not None, body
    return found.group(1)


@pytest.fixture
def ann(acme: Organisation) -> User:
    return make_user(acme, "ann@acme.test", display_name="Ann")


def test_a_recovery_link(
    acme: Organisation, ann: User, mailoutbox: Mailbox, django_capture_on_commit_callbacks: Any
) -> None:
    with with_org(acme), django_capture_on_commit_callbacks() as queued:
        recovery_link_request(actor=ACTOR, email=ann.email, base_url="http://acme.localhost")
        token = _link_token(outbox_body(OutboxMessage.objects.get()), "/recover")
    assert_nowhere(acme, token)  # queued
    for callback in queued:
        callback()
    assert _link_token(mailoutbox[-1].body, "/recover") == token
    assert_nowhere(acme, token)  # sent
    assert Client(HTTP_HOST="acme.localhost").post(f"/recover/{token}").status_code == 302
    assert_nowhere(acme, token)  # used


def test_an_admins_registration_link(acme: Organisation, ann: User, mailoutbox: Mailbox) -> None:
    with with_org(acme):
        registration_link_send(actor=ACTOR, user=ann)
        message = OutboxMessage.objects.get(kind="registration_link")
        token = _link_token(outbox_body(message), "/invitation")
        assert_nowhere(acme, token)
        assert outbox_send(message.pk) is True
    assert _link_token(mailoutbox[-1].body, "/invitation") == token
    assert_nowhere(acme, token)
    assert Client(HTTP_HOST="acme.localhost").post(f"/invitation/{token}").status_code == 302
    assert_nowhere(acme, token)


def test_a_users_self_sign_up_link(
    acme: Organisation, mailoutbox: Mailbox, django_capture_on_commit_callbacks: Any
) -> None:
    with with_org(acme):
        auth_settings_update(
            org=acme, actor=Actor(label="test"), changes={"self_signup_enabled": True}
        )
    client = Client(HTTP_HOST="acme.localhost")
    with django_capture_on_commit_callbacks() as queued:
        assert client.post("/signup", {"email": "kept@acme.test"}).status_code == 200
    with with_org(acme):
        token = _link_token(
            outbox_body(OutboxMessage.objects.get(kind="signup_link")), "/signup/confirm"
        )
    assert_nowhere(acme, token)
    for callback in queued:
        callback()
    assert _link_token(mailoutbox[-1].body, "/signup/confirm") == token
    assert_nowhere(acme, token)
    assert client.post(f"/signup/confirm/{token}").status_code == 302
    assert_nowhere(acme, token)


def test_an_organisations_sign_up_link_invitation_code_and_hand_over_link(
    acme: Organisation, mailoutbox: Mailbox, django_capture_on_commit_callbacks: Any, settings: Any
) -> None:
    settings.SIGNUP_MODE = "invite"
    code = invitation_create(note="Beta customer")
    assert_nowhere(acme, code)
    platform = Client(HTTP_HOST="localhost")
    form = {"org_name": "Rest Co", "slug": "restco", "email": "founder@restco.test"}
    with django_capture_on_commit_callbacks() as queued:
        assert platform.post("/signup", {**form, "invitation": code}).status_code == 200
    assert SignupRequest.objects.filter(slug="restco").exists()
    assert_nowhere(acme, code)
    for callback in queued:
        callback()
    link = _link_token(mailoutbox[-1].body, "/signup/confirm")
    request_id, token = link.split("/")
    assert_nowhere(acme, code, token)  # sent
    response = platform.post(f"/signup/confirm/{request_id}/{token}")
    assert response.status_code == 302
    welcome = _link_token(response["Location"], "/welcome")
    new_org = Organisation.objects.get(slug="restco")
    for org in (acme, new_org):
        assert_nowhere(org, code, token, welcome)  # the org exists, the hand-over is pending
    assert Client(HTTP_HOST="restco.localhost").post(f"/welcome/{welcome}").status_code == 302
    assert_nowhere(new_org, code, token, welcome)


def test_the_openid_providers_client_secret_code_and_tokens(acme: Organisation, ann: User) -> None:
    registered = register_client(acme)
    assert registered.secret
    app = App(acme, registered)
    app.sign_in_with_password(ann)
    code = app.code()
    assert_nowhere(acme, registered.secret, code)
    issued = app.exchange(code).json()
    first = (issued["access_token"], issued["refresh_token"], issued["id_token"])
    assert_nowhere(acme, code, *first)
    info = app.browser.get("/oidc/userinfo", HTTP_AUTHORIZATION=f"Bearer {first[0]}")
    assert info.status_code == 200
    refreshed = app.token(grant_type="refresh_token", refresh_token=first[1]).json()
    assert_nowhere(
        acme, *first, refreshed["access_token"], refreshed["refresh_token"], refreshed["id_token"]
    )


def test_an_api_key_and_a_passkey_sign_in_token(acme: Organisation) -> None:
    with with_org(acme):
        secret = api_key_create(actor=CLI, name="CI", scopes=["admin"]).secret
    random_part = secret.split("_", 2)[2]
    assert_nowhere(acme, secret, random_part)
    api = Api(acme, secret)
    assert api.register("u1", "u1@acme.test").status_code == 201  # the key, used
    signed = api.sign_in("u1")
    assert signed.status_code == 200, signed.content
    jwt = signed.json()["token"]
    assert_nowhere(acme, secret, random_part, jwt, jwt.rsplit(".", 1)[1])


def test_recovery_codes_and_the_authenticator_apps_seed(acme: Organisation, ann: User) -> None:
    with with_org(acme):
        codes = recovery_codes_generate(actor=CLI, user=ann)
        setup = totp_begin(user=ann, issuer="Acme")
        seed = setup.secret_b32
        stored = TotpDevice.objects.get(user=ann).secret_encrypted
        assert decrypt(bytes(stored)).decode() == seed  # kept, but only encrypted
        totp_confirm(actor=CLI, user=ann, code=pyotp.TOTP(seed).now())
        recovery_code_consume(actor=CLI, user=ann, code=codes[0])
    assert_nowhere(acme, seed, setup.provisioning_uri)
    for code in codes:
        assert_nowhere(acme, code, code.replace("-", ""))


def test_a_password_is_kept_as_an_argon2_hash_only(acme: Organisation, ann: User) -> None:
    assert settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    with with_org(acme):
        assert User.objects.get(pk=ann.pk).password.startswith("argon2$argon2id$")
    browser = Client(HTTP_HOST="acme.localhost")
    assert browser.post("/login", {"email": ann.email, "password": PASSWORD}).status_code == 302
    assert browser.post("/login", {"email": ann.email, "password": PASSWORD + "x"}).status_code
    assert_nowhere(acme, PASSWORD, PASSWORD + "x")


def test_a_browser_sessions_key(acme: Organisation, ann: User) -> None:
    browser = Client(HTTP_HOST="acme.localhost")
    browser.get("/login")
    assert browser.post("/login", {"email": ann.email, "password": PASSWORD}).status_code == 302
    key = browser.cookies[settings.SESSION_COOKIE_NAME].value
    assert browser.get("/account/security").status_code == 200  # the cookie is what it was
    assert_nowhere(acme, key)
    assert browser.post("/logout").status_code == 302
    assert_nowhere(acme, key)
