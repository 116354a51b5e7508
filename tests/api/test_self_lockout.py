"""An admin cannot save a policy under which they themself could no longer sign in, through
any door a person uses (session REST, portal); an API key has no account to lose."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
from django.test import Client

from auth_methods.models import AuditEvent, Passkey, User
from tenants.context import with_org
from tenants.models import Organisation
from tests.api.conftest import make_api
from tests.portal.conftest import make_user
from tests.portal.test_auth_settings_page import URL as PAGE
from tests.portal.test_auth_settings_page import form_data
from tests.support.db import assert_problem, snapshot
from tests.support.sessions import fresh_login

pytestmark = pytest.mark.django_db

REST = "/api/v1/auth-settings"
# Passkeys off and the password refused to whoever holds one: the admin below has no way in.
LOCKING = {"passkey_login_enabled": False, "passwordless_only": True}


@pytest.fixture
def admin(acme: Organisation) -> User:
    """A password and one (ES256) passkey."""
    user = make_user(acme, "admin@acme.test", "admin")
    with with_org(acme):
        Passkey.objects.create(
            user=user, credential_id=os.urandom(16), public_key=b"key", algorithm=-7
        )
    return user


def signed_in(org: Organisation, user: User) -> Client:
    """Signed in just now (the password and the passkey, as the second step would)."""
    browser = Client(HTTP_HOST=f"{org.slug}.localhost")
    with with_org(org):
        return fresh_login(browser, user)


def saved_changes(org: Organisation) -> int:
    with with_org(org):
        return AuditEvent.objects.filter(
            action="auth_settings.update", outcome=AuditEvent.Outcome.SUCCESS
        ).count()


def patch(client: Client, body: object) -> Any:
    return client.patch(REST, json.dumps(body), content_type="application/json")


def test_a_session_admin_cannot_lock_themself_out(acme: Organisation, admin: User) -> None:
    browser = signed_in(acme, admin)
    before = snapshot(acme)
    problem = assert_problem(patch(browser, LOCKING), 400, "invalid_request")
    assert "no way to sign in" in problem["detail"]
    assert "does not allow signing in with passkeys" in problem["detail"]
    assert "passwordless-only refuses the password" in problem["detail"]
    assert snapshot(acme) == before and saved_changes(acme) == 0
    # An API key has no account of its own to lose: the same change is saved.
    api = make_api(acme, ["admin"])
    assert api.client.patch(REST, LOCKING, format="json").status_code == 200
    assert saved_changes(acme) == 1


def test_only_a_change_that_leaves_them_no_way_in_is_refused(
    acme: Organisation, admin: User
) -> None:
    browser = signed_in(acme, admin)
    assert patch(browser, {"passwordless_only": True}).status_code == 200  # the passkey works
    assert_problem(patch(browser, {"passkey_login_enabled": False}), 400, "invalid_request")
    assert patch(browser, {"passwordless_only": False}).status_code == 200
    # Setting up a second factor after the password is a way in, not a lockout.
    changes = {"passkey_login_enabled": False, "mfa_required": True}
    assert patch(browser, changes).status_code == 200
    assert saved_changes(acme) == 3


def test_the_portal_refuses_it_even_once_confirmed(acme: Organisation, admin: User) -> None:
    browser = signed_in(acme, admin)
    before = snapshot(acme)
    asked = browser.post(PAGE, form_data(**LOCKING))
    assert asked.status_code == 200 and "would lock out 1 user" in asked.content.decode()
    confirm = {"confirm_lockout": asked.context["preview"].fingerprint}
    response = browser.post(PAGE, form_data(**LOCKING) | confirm)
    assert response.status_code == 400
    assert "This change would leave you with no way to sign in" in response.content.decode()
    assert snapshot(acme) == before and saved_changes(acme) == 0
