"""ID tokens are signed with the org's own keys, ES256 or RS256, and survive a rotation."""

from __future__ import annotations

from io import StringIO

import jwt
import pytest
from django.core.management import call_command

from auth_methods.models import User
from tenants.models import Organisation
from tests.oidc.conftest import App, register_client
from tests.oidc.test_code_flow import verify_id_token

pytestmark = pytest.mark.django_db


def test_an_id_token_signed_before_a_rotation_still_verifies(
    acme: Organisation, alice: User
) -> None:
    es, rs = (
        App(acme, register_client(acme)),
        App(acme, register_client(acme, id_token_alg="RS256")),
    )
    tokens = {}
    for app in (es, rs):
        app.sign_in_with_password(alice)
        tokens[app.client_id] = app.exchange(app.code()).json()["id_token"]
    call_command("rotate_signing_key", "acme", stdout=StringIO())
    algs = sorted(k["alg"] for k in es.browser.get("/.well-known/jwks.json").json()["keys"])
    assert algs == ["ES256", "ES256", "RS256", "RS256"]  # current and previous of each
    for app in (es, rs):
        old = tokens[app.client_id]
        assert verify_id_token(app.browser, old, app.client_id)["sub"] == alice.external_id
        new = app.exchange(app.code()).json()["id_token"]
        assert jwt.get_unverified_header(new)["kid"] != jwt.get_unverified_header(old)["kid"]
        assert verify_id_token(app.browser, new, app.client_id)["sub"] == alice.external_id


def test_another_orgs_keys_do_not_verify_this_orgs_id_tokens(
    acme: Organisation, globex: Organisation, alice: User
) -> None:
    app = App(acme, register_client(acme))
    app.sign_in_with_password(alice)
    id_token = app.exchange(app.code()).json()["id_token"]
    globex_host = App(globex, register_client(globex)).browser
    kids = {k["kid"] for k in globex_host.get("/.well-known/jwks.json").json()["keys"]}
    assert jwt.get_unverified_header(id_token)["kid"] not in kids
