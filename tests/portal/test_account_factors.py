"""/account/security, other factors: an authenticator app and recovery codes, one's own only."""

from __future__ import annotations

import logging
import re
import time

import pyotp
import pytest
from django.test import Client

from auth_methods.models import AuditEvent, RecoveryCodeSet, TotpDevice, User
from tenants.context import with_org
from tenants.models import Organisation
from tests.api.conftest import make_api
from tests.portal.conftest import PASSWORD, make_user, signed_in

pytestmark = pytest.mark.django_db

SECRET = re.compile(r'id="totp-secret">([A-Z2-7]+)<')
CODE = re.compile(r"<code>([0-9a-z]{5}-[0-9a-z]{5})</code>")
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
SETUP, TURN_OFF, CODES = "/account/totp/setup", "/account/totp/turn-off", "/account/recovery-codes"


def secret_on(page: str) -> str:
    found = SECRET.search(page)
    assert found, "the setup page shows the key for entering by hand"
    return found.group(1)


def code_for(secret: str, *, later: int = 0) -> str:
    return str(pyotp.TOTP(secret).at(time.time() + later))


def set_up_totp(client: Client) -> str:
    secret = secret_on(client.get(SETUP).content.decode())
    response = client.post(SETUP, {"code": code_for(secret)})
    assert response.status_code == 302 and response["Location"] == "/account/security"
    return secret


def generate_codes(client: Client) -> list[str]:
    response = client.post(CODES)
    assert response.status_code == 200
    codes = CODE.findall(response.content.decode())
    assert len(codes) == 10
    return codes


def totp_state(org: Organisation, user: User) -> list[bool]:
    with with_org(org):
        return [d.confirmed_at is not None for d in TotpDevice.objects.filter(user=user)]


def hashes(org: Organisation, user: User) -> list[str] | None:
    with with_org(org):
        row = RecoveryCodeSet.objects.filter(user=user).first()
        return None if row is None else list(row.hashes)


def after_password(org: Organisation, user: User) -> Client:
    """A browser that gave the right password and now stands at the second step."""
    client = Client(HTTP_HOST=f"{org.slug}.localhost")
    response = client.post("/login", {"email": user.email, "password": PASSWORD})
    assert response["Location"].startswith("/login/second-factor")
    return client


def strict_csrf(org: Organisation, signed: Client) -> Client:
    """The same signed-in browser, its POSTs now checked for a CSRF token as in production."""
    client = Client(HTTP_HOST=f"{org.slug}.localhost", enforce_csrf_checks=True)
    client.cookies["sessionid"] = signed.cookies["sessionid"].value
    return client


def make_stale(client: Client) -> None:
    session = client.session
    session["passgate_auth_at"] = 0
    session.save()


def security_page(client: Client) -> str:
    response = client.get("/account/security")
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("path", [SETUP, TURN_OFF, CODES])
def test_anonymous_visitors_are_sent_to_sign_in(acme: Organisation, method: str, path: str) -> None:
    response = getattr(Client(HTTP_HOST="acme.localhost"), method)(path)
    assert response.status_code == 302 and response["Location"].startswith("/login?next=")


def test_the_section_shows_my_factors_only(acme: Organisation, member: User) -> None:
    other = make_user(acme, "other@acme.test")
    other_client = signed_in(acme, other)
    other_secret = set_up_totp(other_client)
    other_codes = generate_codes(other_client)
    mine = signed_in(acme, member)
    page = security_page(mine)
    assert "Set up authenticator app" in page and "Turn off" not in page
    assert "You have no unused recovery codes." in page
    setup_page = mine.get(SETUP).content.decode()
    assert secret_on(setup_page) != other_secret
    assert not any(code in page + setup_page for code in other_codes)
    assert totp_state(acme, other) == [True] and totp_state(acme, member) == [False]


def test_every_change_needs_a_csrf_token(acme: Organisation, member: User) -> None:
    signed = signed_in(acme, member)
    set_up_totp(signed)
    client = strict_csrf(acme, signed)
    for path in (SETUP, TURN_OFF, CODES):
        assert client.post(path, {"code": "123456"}).status_code == 403, path
    assert totp_state(acme, member) == [True] and hashes(acme, member) is None
    token = TOKEN.search(client.get("/account/security").content.decode())
    assert token and client.post(CODES, {"csrfmiddlewaretoken": token.group(1)}).status_code == 200


def test_setting_up_needs_a_recent_sign_in(acme: Organisation, member: User) -> None:
    client = signed_in(acme, member)
    make_stale(client)
    for method, path in (("get", SETUP), ("post", SETUP), ("post", CODES)):
        response = getattr(client, method)(path, {"code": "123456"})
        assert response.status_code == 302, path
        assert response["Location"].startswith("/login/confirm?next=")
    assert totp_state(acme, member) == [] and hashes(acme, member) is None


def test_turning_off_and_regenerating_need_a_recent_sign_in(
    acme: Organisation, member: User
) -> None:
    client = signed_in(acme, member)
    set_up_totp(client)
    generate_codes(client)
    before = hashes(acme, member)
    make_stale(client)
    for method, path in (("get", TURN_OFF), ("post", TURN_OFF), ("post", CODES)):
        response = getattr(client, method)(path)
        assert response["Location"].startswith("/login/confirm?next="), path
    assert totp_state(acme, member) == [True] and hashes(acme, member) == before


def test_setting_up_an_authenticator_app(
    acme: Organisation, member: User, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client = signed_in(acme, member)
    assert "Set up authenticator app" in security_page(client)
    response = client.get(SETUP)
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    page = response.content.decode()
    assert "<svg" in page and 'aria-label="QR code for your authenticator app"' in page
    secret = secret_on(page)
    assert totp_state(acme, member) == [False]  # pending: counts for nothing yet

    done = client.post(SETUP, {"code": code_for(secret)})
    assert done.status_code == 302 and secret not in done["Location"]
    page = security_page(client)
    assert 'id="totp-status"><span class="badge server">On</span>' in page
    assert "Turn off" in page and secret not in page
    assert totp_state(acme, member) == [True]
    with with_org(acme):
        events = list(AuditEvent.objects.filter(subject=member).values())
    assert any(e["action"] == "totp.enable" for e in events)
    assert secret not in str(events) + str(dict(client.session.items())) + caplog.text


def test_a_wrong_code_is_shown_on_the_field(acme: Organisation, member: User) -> None:
    client = signed_in(acme, member)
    secret = secret_on(client.get(SETUP).content.decode())
    wrong = f"{(int(code_for(secret)) + 500_000) % 1_000_000:06d}"
    response = client.post(SETUP, {"code": wrong})
    assert response.status_code == 400 and "no-store" in response["Cache-Control"]
    page = response.content.decode()
    assert 'aria-invalid="true" aria-describedby="code-errors"' in page
    assert 'id="code-errors" role="alert"><li>That code is not valid.</li>' in page
    assert secret not in page and totp_state(acme, member) == [False]
    empty = client.post(SETUP, {"code": ""}).content.decode()
    assert 'aria-invalid="true"' in empty and "This field is required." in empty
    # The seed scanned first stays valid: the person just types the next code.
    assert client.post(SETUP, {"code": code_for(secret)}).status_code == 302
    assert totp_state(acme, member) == [True]


def test_a_second_set_up_is_refused_while_one_is_on(acme: Organisation, member: User) -> None:
    client = signed_in(acme, member)
    set_up_totp(client)
    response = client.get(SETUP, follow=True)
    assert "already set up" in response.content.decode()
    assert totp_state(acme, member) == [True]


def test_turning_the_app_off(acme: Organisation, member: User) -> None:
    client = signed_in(acme, member)
    set_up_totp(client)
    confirm = client.get(TURN_OFF)
    assert confirm.status_code == 200 and 'id="confirm-turn-off"' in confirm.content.decode()
    assert totp_state(acme, member) == [True]  # asking changes nothing
    page = client.post(TURN_OFF, follow=True).content.decode()
    assert "Authenticator app turned off." in page and "Set up authenticator app" in page
    assert totp_state(acme, member) == []
    with with_org(acme):
        assert AuditEvent.objects.filter(subject=member, action="totp.disable").exists()


def test_the_last_required_factor_cannot_be_turned_off(acme: Organisation, member: User) -> None:
    client = signed_in(acme, member)
    set_up_totp(client)
    make_api(acme, ["admin"]).set_policy(mfa_required=True)
    page = client.post(TURN_OFF, follow=True).content.decode()
    assert "only remaining second factor" in page and 'class="msg error"' in page
    assert totp_state(acme, member) == [True]
    generate_codes(client)  # with another factor, it may go
    assert "turned off" in client.post(TURN_OFF, follow=True).content.decode()
    assert totp_state(acme, member) == []


def test_recovery_codes_are_shown_once(acme: Organisation, member: User) -> None:
    client = signed_in(acme, member)
    assert "Generate recovery codes" in security_page(client)
    response = client.post(CODES)
    assert "no-store" in response["Cache-Control"]
    codes = CODE.findall(response.content.decode())
    assert len(set(codes)) == 10
    page = security_page(client)
    assert "<strong>10</strong> unused recovery codes left." in page
    assert "Regenerate recovery codes" in page and "the old codes stop working" in page
    assert not any(code in page for code in codes)
    stored = str(dict(client.session.items()))
    assert not any(code in stored or code.replace("-", "") in stored for code in codes)
    assert client.get(CODES)["Location"].startswith("/account/security")  # GET makes none
    with with_org(acme):
        assert AuditEvent.objects.filter(subject=member, action="recovery_codes.generate").count()


def test_regenerating_invalidates_the_old_codes(acme: Organisation, member: User) -> None:
    client = signed_in(acme, member)
    old = generate_codes(client)
    new = generate_codes(client)
    assert not set(old) & set(new)
    second_step = after_password(acme, member)
    refused = second_step.post("/login/second-factor/recovery-code", {"code": old[0]})
    assert refused.status_code == 400 and "That code is not valid." in refused.content.decode()
    accepted = second_step.post("/login/second-factor/recovery-code", {"code": new[0]})
    assert accepted.status_code == 302
    assert "<strong>9</strong> unused recovery codes left." in security_page(second_step)


def test_signing_in_with_the_app_set_up_here(acme: Organisation, member: User) -> None:
    secret = set_up_totp(signed_in(acme, member))
    client = after_password(acme, member)
    # The set-up code is spent; the app's next code (within the drift window) signs in.
    response = client.post("/login/second-factor/totp", {"code": code_for(secret, later=30)})
    assert response.status_code == 302
    assert member.email in security_page(client)
