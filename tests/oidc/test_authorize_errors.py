"""Every way an authorization request can fail, and that failing writes no code."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import Client

from auth_methods.encoding import b64url_encode
from auth_methods.models import Passkey, User
from oidc.models import AuthorizationCode
from oidc.models import Client as OidcClient
from tenants.context import with_org
from tenants.models import Organisation
from tests.oidc.conftest import REDIRECT, App, passkey_sign_in, query_of, register_client
from tests.portal.conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db


def no_code_written(org: Organisation) -> bool:
    with with_org(org):
        return not AuthorizationCode.objects.exists()


def refused_here(response: Any, error: str) -> None:
    """Shown on Passgate's own page, never redirected to an unregistered address."""
    assert response.status_code == 400
    assert not response.has_header("Location")
    assert error in response.content.decode()


def redirected_with(response: Any, error: str) -> dict[str, str]:
    location = response["Location"]
    assert response.status_code == 302 and location.startswith(REDIRECT + "?")
    params = query_of(location)
    assert params["error"] == error and params["state"] == "st-1"
    assert params["iss"] == "http://acme.localhost"  # RFC 9207, on errors too
    return params


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "https://evil.example/callback",
        REDIRECT + "/",  # exact match: no prefix or trailing-slash leniency
        REDIRECT + "?x=1",
        "https://APP.example/callback",
    ],
)
def test_an_unregistered_redirect_uri_is_refused_without_redirect(
    app: App, alice: User, redirect_uri: str
) -> None:
    app.sign_in_with_password(alice)
    refused_here(app.authorize(redirect_uri=redirect_uri), "invalid_request")
    assert no_code_written(app.org)


def test_a_missing_redirect_uri_is_refused_without_redirect(app: App, alice: User) -> None:
    app.sign_in_with_password(alice)
    refused_here(app.authorize(redirect_uri=None), "invalid_request")  # type: ignore[arg-type]


def test_an_unknown_or_other_orgs_client_is_refused(
    app: App, alice: User, globex: Organisation
) -> None:
    theirs = register_client(globex)
    app.sign_in_with_password(alice)
    refused_here(app.authorize(client_id=theirs.client.client_id), "invalid_client")
    refused_here(app.authorize(client_id="nope"), "invalid_client")
    assert no_code_written(app.org)


def test_a_disabled_client_is_refused(app: App, alice: User) -> None:
    with with_org(app.org):
        OidcClient.objects.filter(pk=app.registered.client.pk).update(active=False)
    app.sign_in_with_password(alice)
    refused_here(app.authorize(), "invalid_client")


def test_a_public_client_must_send_a_pkce_challenge(public_app: App, alice: User) -> None:
    public_app.sign_in_with_password(alice)
    response = public_app.authorize(code_challenge=None, code_challenge_method=None)  # type: ignore[arg-type]
    redirected_with(response, "invalid_request")
    assert no_code_written(public_app.org)


def test_plain_pkce_is_refused(app: App, alice: User) -> None:
    app.sign_in_with_password(alice)
    redirected_with(app.authorize(code_challenge_method="plain"), "invalid_request")
    redirected_with(app.authorize(code_challenge_method=None), "invalid_request")  # type: ignore[arg-type]
    assert no_code_written(app.org)


def test_an_unsupported_response_type_or_scope_is_refused(app: App, alice: User) -> None:
    app.sign_in_with_password(alice)
    redirected_with(app.authorize(response_type="token"), "unsupported_response_type")
    redirected_with(app.authorize(scope="openid admin"), "invalid_scope")
    assert no_code_written(app.org)


def test_prompt_none_without_a_session_is_login_required(app: App) -> None:
    redirected_with(app.authorize(prompt="none"), "login_required")
    assert no_code_written(app.org)


def test_prompt_none_with_a_session_answers_at_once(app: App, alice: User) -> None:
    app.sign_in_with_password(alice)
    assert app.code(prompt="none")


def test_prompt_login_asks_again_then_grants(app: App, alice: User) -> None:
    app.sign_in_with_password(alice)
    first = app.authorize(prompt="login")
    assert first.status_code == 302 and first["Location"].startswith("/login?")
    back = query_of(first["Location"])["next"]
    again = app.browser.get(back)  # no fresh sign-in yet: still the login page
    assert again["Location"].startswith("/login?")
    app.browser.post("/login", {"email": alice.email, "password": PASSWORD})
    done = app.browser.get(back)
    assert done.status_code == 302 and done["Location"].startswith(REDIRECT + "?code=")


def test_max_age_exceeded_means_signing_in_again(app: App, alice: User) -> None:
    app.sign_in_with_password(alice)
    session = app.browser.session
    session["passgate_sign_in_facts"]["at"] -= 120
    session["passgate_sign_in_facts"]["at_ms"] -= 120_000
    session.save()
    redirected_with(app.authorize(max_age="60", prompt="none"), "login_required")
    response = app.authorize(max_age="60")
    assert response.status_code == 302 and response["Location"].startswith("/login?")
    assert app.code(max_age="600")  # recent enough for a looser app
    redirected_with(app.authorize(max_age="soon"), "invalid_request")


def test_a_password_cannot_satisfy_a_phishing_resistant_request(app: App, alice: User) -> None:
    app.sign_in_with_password(alice)
    redirected_with(app.authorize(acr_values="phr", prompt="none"), "login_required")
    step = app.authorize(acr_values="phr")
    assert step.status_code == 302 and step["Location"].startswith("/oidc/passkey?")
    back = query_of(step["Location"])["next"]
    page = app.browser.get(step["Location"])
    assert page.status_code == 200 and b"passkey-options" in page.content
    # Signing in with the password again does not make it phishing-resistant: an error.
    app.browser.post("/login", {"email": alice.email, "password": PASSWORD})
    response = app.browser.get(back)
    redirected_with(response, "unmet_authentication_requirements")
    assert no_code_written(app.org)


def test_a_passkey_with_user_verification_satisfies_it(app: App, alice: User) -> None:
    passkey_sign_in(app.org, app.browser, alice)
    assert app.code(acr_values="phr")


def test_a_passkey_without_user_verification_does_not(app: App, alice: User) -> None:
    passkey_sign_in(app.org, app.browser, alice, user_verified=False)
    step = app.authorize(acr_values="phr")
    assert step["Location"].startswith("/oidc/passkey?")


def test_a_third_party_client_asks_for_consent_once(acme: Organisation, alice: User) -> None:
    app = App(acme, register_client(acme, name="Partner", third_party=True))
    app.sign_in_with_password(alice)
    page = app.authorize()
    assert page.status_code == 200 and b"Partner" in page.content
    redirected_with(app.authorize(prompt="none"), "consent_required")
    params = app.authorize_params()
    denied = app.browser.post(f"/oidc/authorize?{urlencode(params)}", {"decision": "deny"})
    redirected_with(denied, "access_denied")
    assert no_code_written(acme)
    allowed = app.browser.post(f"/oidc/authorize?{urlencode(params)}", {"decision": "allow"})
    assert allowed.status_code == 302 and allowed["Location"].startswith(REDIRECT + "?code=")
    assert app.code()  # remembered


def test_the_step_page_only_returns_to_the_authorization_endpoint(acme: Organisation) -> None:
    page = Client(HTTP_HOST="acme.localhost").get("/oidc/passkey", {"next": "https://evil.example"})
    assert page.status_code == 200 and b"evil.example" not in page.content


def test_login_hint_prefills_the_login_page_and_narrows_its_passkeys(
    app: App, alice: User, acme: Organisation
) -> None:
    other = make_user(acme, "bob@acme.test")
    passkey_sign_in(acme, Client(HTTP_HOST="acme.localhost"), alice)
    passkey_sign_in(acme, Client(HTTP_HOST="acme.localhost"), other)
    first = app.authorize(login_hint="alice@acme.test")
    assert (
        first["Location"].startswith("/login?")
        and "login_hint=alice%40acme.test" in first["Location"]
    )
    page = app.browser.get(first["Location"]).content.decode()
    assert 'value="alice@acme.test"' in page
    options = json.loads(re.search(r'id="passkey-options"[^>]*>(.*?)</script>', page)[1])  # type: ignore[index]
    with with_org(acme):
        alices = {b64url_encode(bytes(p.credential_id)) for p in Passkey.objects.filter(user=alice)}
    assert {c["id"] for c in options["publicKey"]["allowCredentials"]} == alices
    unknown = app.browser.get("/login?login_hint=nobody@acme.test").content.decode()
    assert '"allowCredentials"' not in unknown or '"allowCredentials": []' in unknown
