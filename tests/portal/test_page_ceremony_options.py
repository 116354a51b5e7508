"""Pages that start a ceremony carry its options (json_script), made by the ceremony services:
the challenge is stored, bound to the purpose and the user, like one from the API."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.test import Client

from api.throttling import PerIpThrottle
from auth_methods import request_budget
from auth_methods.encoding import b64url_decode
from auth_methods.models import Challenge, User
from tenants.context import with_org
from tenants.models import Organisation
from tests.api.conftest import make_api
from tests.portal.conftest import PASSWORD, signed_in

pytestmark = pytest.mark.django_db

SCRIPT = re.compile(r'<script id="passkey-options" type="application/json">(.*?)</script>', re.S)


def page_options(page: str) -> dict[str, Any] | None:
    found = SCRIPT.search(page)
    return json.loads(found.group(1))["publicKey"] if found else None


def stored(org: Organisation, options: dict[str, Any]) -> Challenge:
    with with_org(org):
        return Challenge.objects.get(challenge=b64url_decode(options["challenge"]))


def test_the_login_page_carries_usernameless_sign_in_options(acme: Organisation) -> None:
    page = Client(HTTP_HOST="acme.localhost").get("/login").content.decode()
    options = page_options(page)
    assert options is not None and options["rpId"] == "acme.localhost"
    assert "allowCredentials" not in options or options["allowCredentials"] == []
    challenge = stored(acme, options)
    assert challenge.purpose == "authentication" and challenge.user_id is None


def test_without_passkey_sign_in_the_login_page_carries_no_options(acme: Organisation) -> None:
    make_api(acme, ["admin"]).set_policy(passkey_login_enabled=False)
    page = Client(HTTP_HOST="acme.localhost").get("/login").content.decode()
    assert page_options(page) is None
    with with_org(acme):
        assert not Challenge.objects.exists()


def test_the_second_factor_page_carries_options_for_that_user_only(
    acme: Organisation, admin: User
) -> None:
    api = make_api(acme, ["admin"])
    assert api.register(admin.external_id, admin.email).status_code == 201
    client = Client(HTTP_HOST="acme.localhost")
    client.post("/login", {"email": admin.email, "password": PASSWORD})
    options = page_options(client.get("/login/second-factor/passkey").content.decode())
    assert options is not None and len(options["allowCredentials"]) == 1
    assert stored(acme, options).user_id == admin.pk


def test_the_security_page_carries_registration_options_for_me(
    acme: Organisation, member: User
) -> None:
    page = signed_in(acme, member).get("/account/security").content.decode()
    options = page_options(page)
    assert options is not None and options["user"]["name"] == member.email
    challenge = stored(acme, options)
    assert challenge.purpose == "registration" and challenge.user_id == member.pk


def test_when_registration_is_off_the_security_page_carries_no_options(
    acme: Organisation, member: User
) -> None:
    make_api(acme, ["admin"]).set_policy(passkey_registration_enabled=False)
    page = signed_in(acme, member).get("/account/security").content.decode()
    assert page_options(page) is None
    assert "does not allow adding passkeys" in page


def test_pages_spend_the_apis_per_ip_budget_for_their_options(
    acme: Organisation, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(PerIpThrottle, "THROTTLE_RATES", {"ip": "2/min", "key": "1000/min"})
    monkeypatch.setattr(request_budget, "ip_rate", lambda: "2/min")
    client = Client(HTTP_HOST="acme.localhost")
    pages = [client.get("/login").content.decode() for _ in range(3)]
    assert [page_options(p) is not None for p in pages] == [True, True, False]
    with with_org(acme):
        assert Challenge.objects.count() == 2
    assert 'id="passkey-sign-in"' in pages[2]  # the button still works, through the API
    assert client.post("/webauthn/authenticate/options", {}, "application/json").status_code == 429
