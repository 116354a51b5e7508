"""/login/enrol: under mfa_required, a password without any second factor leads to setting one
up inside the half-done sign-in (same 10 minutes), and only then to a session."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import pyotp
import pytest
from django.test import Client

from auth_methods import sessions
from auth_methods.factors import TotpFactor
from auth_methods.models import AuditEvent, Passkey, TotpDevice, User
from auth_methods.sign_in_facts import sign_in_facts
from tenants.context import with_org
from tenants.models import Organisation
from tests.api.conftest import make_api
from tests.portal.conftest import PASSWORD, make_user
from tests.support.authenticator import SoftAuthenticator

pytestmark = pytest.mark.django_db

ORIGIN = "http://acme.localhost"
SECRET = re.compile(r'id="totp-secret">([A-Z2-7]+)<')
ENROL, TOTP = "/login/enrol", "/login/enrol/totp"
OPTIONS, PASSKEY = "/login/enrol/passkey/options", "/login/enrol/passkey"


@pytest.fixture
def member(acme: Organisation) -> User:
    """A password and nothing else, in an org that now requires a second factor."""
    user = make_user(acme, "member@acme.test")
    make_api(acme, ["admin"]).set_policy(mfa_required=True)
    return user


def after_password(org: Organisation, user: User, next_path: str = "") -> Client:
    client = Client(HTTP_HOST=f"{org.slug}.localhost")
    query = f"?next={next_path}" if next_path else ""
    response = client.post(f"/login{query}", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.content[:300]
    assert response["Location"].startswith(ENROL), response["Location"]
    return client


def signed_in_as(client: Client) -> str | None:
    return client.session.get("_auth_user_id")


def post_json(client: Client, path: str, body: Any) -> Any:
    return client.post(path, json.dumps(body), content_type="application/json")


def enrol_passkey(client: Client, authenticator: SoftAuthenticator, **forge: Any) -> Any:
    options = post_json(client, OPTIONS, {})
    assert options.status_code == 200, options.content[:300]
    credential = authenticator.create(options.json(), origin=ORIGIN, **forge)
    return post_json(client, PASSKEY, {"credential": credential, "label": "Laptop"})


def actions(org: Organisation, user: User) -> list[str]:
    with with_org(org):
        return list(
            AuditEvent.objects.filter(subject=user, outcome=AuditEvent.Outcome.SUCCESS)
            .order_by("pk")
            .values_list("action", flat=True)
        )


def factors_of(org: Organisation, user: User) -> tuple[int, int]:
    with with_org(org):
        return Passkey.objects.filter(user=user).count(), TotpDevice.objects.filter(
            user=user, confirmed_at__isnull=False
        ).count()


# --- the step itself --------------------------------------------------------------------------


def test_the_password_leads_to_setting_up_a_second_factor_not_to_a_session(
    acme: Organisation, member: User
) -> None:
    client = after_password(acme, member, "/account/security")
    page = client.get(f"{ENROL}?next=/account/security")
    assert page.status_code == 200
    text = page.content.decode()
    assert 'id="enrol-passkey"' in text and 'href="/login/enrol/totp?next=' in text
    assert "member@acme.test" in text and signed_in_as(client) is None
    # The chooser of the second step sends here too, rather than to a dead end.
    chooser = client.get("/login/second-factor")
    assert chooser.status_code == 302 and chooser["Location"].startswith(ENROL)


@pytest.mark.parametrize(
    "path", ["/account/security", "/orgs/acme/portal/", "/account/totp/setup", "/"]
)
def test_nothing_but_the_enrolment_step_is_reachable_while_it_is_due(
    acme: Organisation, member: User, path: str
) -> None:
    client = after_password(acme, member)
    response = client.get(path)
    assert response.status_code == 302 and response["Location"].startswith("/login")
    assert signed_in_as(client) is None


def test_the_rest_api_does_not_take_the_half_done_sign_in(acme: Organisation, member: User) -> None:
    client = after_password(acme, member)
    assert post_json(client, "/webauthn/register/options", {}).status_code == 401
    assert client.get("/api/v1/auth-settings").status_code == 401
    assert factors_of(acme, member) == (0, 0)


def test_an_authenticator_app_set_up_there_signs_in(acme: Organisation, member: User) -> None:
    client = after_password(acme, member, "/account/security")
    page = client.get(f"{TOTP}?next=/account/security").content.decode()
    found = SECRET.search(page)
    assert found
    wrong = client.post(TOTP, {"code": "000000", "next": "/account/security"})
    assert wrong.status_code == 400 and signed_in_as(client) is None
    assert factors_of(acme, member) == (0, 0)
    response = client.post(
        TOTP, {"code": pyotp.TOTP(found.group(1)).now(), "next": "/account/security"}
    )
    assert response.status_code == 302 and response["Location"] == "/account/security"
    assert signed_in_as(client) == str(member.pk)
    assert factors_of(acme, member) == (0, 1)
    assert actions(acme, member)[-2:] == ["totp.enable", "second_factor.enrol_at_sign_in"]
    facts = sign_in_facts(client.get("/account/security").wsgi_request)
    assert facts is not None and facts.amr == ("pwd",) and not facts.phishing_resistant
    assert client.get("/account/security").status_code == 200


def test_a_passkey_set_up_there_signs_in(acme: Organisation, member: User) -> None:
    client = after_password(acme, member)
    response = enrol_passkey(client, SoftAuthenticator())
    assert response.status_code == 201, response.content[:300]
    assert signed_in_as(client) == str(member.pk)
    assert factors_of(acme, member) == (1, 0)
    assert actions(acme, member)[-2:] == ["passkey.register", "second_factor.enrol_at_sign_in"]
    # Next time the password is followed by the new passkey, the ordinary second step.
    again = Client(HTTP_HOST="acme.localhost")
    response = again.post("/login", {"email": member.email, "password": PASSWORD})
    assert response["Location"].startswith("/login/second-factor")


def test_the_passkey_must_meet_every_registration_rule(acme: Organisation, member: User) -> None:
    make_api(acme, ["admin"]).set_policy(allow_synced_passkeys=False)
    client = after_password(acme, member)
    response = enrol_passkey(client, SoftAuthenticator(backup_eligible=True))
    assert response.status_code == 403 and response.json()["code"] == "authenticator_not_allowed"
    assert signed_in_as(client) is None and factors_of(acme, member) == (0, 0)


def test_a_challenge_for_someone_else_is_refused(acme: Organisation, member: User) -> None:
    other = make_user(acme, "other@acme.test")
    api = make_api(acme, ["admin"])
    options = api.post(
        "/webauthn/register/options", {"user": {"id": other.external_id, "name": other.email}}
    )
    credential = SoftAuthenticator().create(options.json(), origin=ORIGIN)
    client = after_password(acme, member)
    response = post_json(client, PASSKEY, {"credential": credential})
    assert response.status_code == 400 and response.json()["code"] == "challenge_invalid"
    assert signed_in_as(client) is None and factors_of(acme, other) == (0, 0)


def test_passkeys_are_offered_only_where_the_policy_allows_registering_them(
    acme: Organisation, member: User
) -> None:
    make_api(acme, ["admin"]).set_policy(passkey_registration_enabled=False)
    client = after_password(acme, member)
    text = client.get(ENROL).content.decode()
    assert 'id="enrol-passkey"' not in text and 'href="/login/enrol/totp?next=' in text
    refused = post_json(client, OPTIONS, {})
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    assert signed_in_as(client) is None


def test_with_nothing_to_set_up_the_person_is_told_to_ask_an_admin(
    acme: Organisation, member: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(TotpFactor, "can_enrol", lambda self, user, *, policy: False)
    make_api(acme, ["admin"]).set_policy(passkey_registration_enabled=False)
    client = after_password(acme, member)
    page = client.get(ENROL)
    assert page.status_code == 200 and 'id="no-enrolment"' in page.content.decode()
    assert client.get(TOTP).status_code == 302  # back to the explanation, no seed made
    assert client.post(TOTP, {"code": "123456"}).status_code == 400
    assert signed_in_as(client) is None and factors_of(acme, member) == (0, 0)


# --- its limits -------------------------------------------------------------------------------


def test_it_lapses_with_the_half_done_sign_in(
    acme: Organisation, member: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = after_password(acme, member)
    found = SECRET.search(client.get(TOTP).content.decode())
    assert found
    started = time.time()
    code = pyotp.TOTP(found.group(1)).now()
    monkeypatch.setattr(time, "time", lambda: started + sessions.PENDING_SECONDS + 1)
    for response in (client.get(ENROL), client.post(TOTP, {"code": code})):
        assert response.status_code == 302 and response["Location"] == "/login"
    assert post_json(client, OPTIONS, {}).status_code == 401
    assert signed_in_as(client) is None and factors_of(acme, member) == (0, 0)


def test_someone_who_holds_a_second_factor_cannot_use_it(acme: Organisation) -> None:
    user = make_user(acme, "has-key@acme.test")
    assert make_api(acme, ["admin"]).register(user.external_id, user.email).status_code == 201
    make_api(acme, ["admin"]).set_policy(mfa_required=True)
    client = Client(HTTP_HOST="acme.localhost")
    response = client.post("/login", {"email": user.email, "password": PASSWORD})
    assert response["Location"].startswith("/login/second-factor")
    assert client.get(ENROL)["Location"].startswith("/login/second-factor")
    assert client.get(TOTP)["Location"] == "/login"
    assert post_json(client, OPTIONS, {}).status_code == 401
    assert signed_in_as(client) is None and factors_of(acme, user) == (1, 0)


def test_a_half_done_sign_in_from_a_recovery_link_cannot_enrol(
    acme: Organisation, member: User
) -> None:
    client = after_password(acme, member)
    session = client.session
    del session[sessions.PENDING_FROM_LOGIN]  # what a recovery link's half-done sign-in holds
    session.save()
    assert client.get(ENROL)["Location"] == "/login"
    assert client.get(TOTP)["Location"] == "/login"
    assert factors_of(acme, member) == (0, 0)


def test_without_mfa_required_the_password_signs_in_as_before(acme: Organisation) -> None:
    user = make_user(acme, "plain@acme.test")
    client = Client(HTTP_HOST="acme.localhost")
    response = client.post("/login", {"email": user.email, "password": PASSWORD})
    assert response["Location"] == "/" and signed_in_as(client) == str(user.pk)
    assert client.get(ENROL)["Location"] == "/login"
