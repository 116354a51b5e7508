"""Whatever ends a user's sessions ends the OpenID Provider's tokens and pending codes of the
user too: an attacker's access token is refused at userinfo, the refresh token mints nothing,
a code not yet exchanged is worthless. A sign-in after the end gets tokens that work."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.hashers import make_password
from django.test import Client

from auth_methods.models import AuditEvent, Passkey, TotpDevice, User
from auth_methods.recovery import LINK_TTL, link_issue
from tenants.context import with_org
from tenants.models import Organisation
from tests.oidc.conftest import App
from tests.portal.conftest import PASSWORD, make_user, signed_in

pytestmark = pytest.mark.django_db


def _passkey(user: User, n: int) -> Passkey:
    return Passkey.objects.create(
        user=user,
        credential_id=bytes([n]) * 16,
        public_key=b"key",
        algorithm=-7,
        aaguid="00000000-0000-0000-0000-000000000000",
        label=f"Key {n}",
    )


def _recovery(org: Organisation, user: User) -> None:
    with with_org(org):
        token = link_issue(user, LINK_TTL)
    assert Client(HTTP_HOST="acme.localhost").post(f"/recover/{token}").status_code == 302


def _own_passkey_deleted(org: Organisation, user: User) -> None:
    owner = signed_in(org, user)
    with with_org(org):
        _passkey(user, 1)
        lost = _passkey(user, 2)
    assert owner.post(f"/account/passkeys/{lost.pk}/delete").status_code == 302
    with with_org(org):  # the user may sign in with the password alone again
        Passkey.objects.filter(user=user).delete()


def _password_changed(org: Organisation, user: User) -> None:
    owner = signed_in(org, user)
    form = {"new_password": "Another-long-one-2", "new_password_again": "Another-long-one-2"}
    assert owner.post("/account/password", form).status_code == 302
    with with_org(org):  # the user may sign in with the old password again
        User.objects.filter(pk=user.pk).update(password=make_password(PASSWORD))


def _password_removed(org: Organisation, user: User) -> None:
    owner = signed_in(org, user)
    with with_org(org):
        _passkey(user, 1)
    assert owner.post("/account/password/remove").status_code == 302
    with with_org(org):  # the user may sign in with the password alone again
        User.objects.filter(pk=user.pk).update(password=make_password(PASSWORD))
        Passkey.objects.filter(user=user).delete()


def _by_admin(action: str) -> Callable[[Organisation, User], None]:
    def trigger(org: Organisation, user: User) -> None:
        admin = make_user(org, "admin@acme.test", "admin")
        with with_org(org):
            _passkey(user, 1)
            TotpDevice.objects.create(user=user, secret_encrypted=b"x")
        url = f"/orgs/{org.slug}/portal/users/{user.external_id}/{action}"
        assert signed_in(org, admin).post(url).status_code == 302
        with with_org(org):  # the user may sign in with the password alone again
            User.objects.filter(pk=user.pk).update(is_active=True)
            TotpDevice.objects.filter(user=user).delete()
            Passkey.objects.filter(user=user).delete()

    return trigger


TRIGGERS: dict[str, Callable[[Organisation, User], None]] = {
    "recovery": _recovery,
    "own passkey deleted": _own_passkey_deleted,
    "password change": _password_changed,
    "password removed": _password_removed,
    "admin removes passkeys": _by_admin("remove-passkeys"),
    "admin wipes second factor": _by_admin("wipe-second-factor"),
    "admin disables (then enables)": _by_admin("disable"),
}


def _signed_in_app(app: App, user: User) -> App:
    fresh = App(app.org, app.registered)
    fresh.sign_in_with_password(user)
    return fresh


def _tokens(app: App, user: User) -> dict[str, Any]:
    fresh = _signed_in_app(app, user)
    response = fresh.exchange(fresh.code())
    assert response.status_code == 200, response.content
    body: dict[str, Any] = response.json()
    return body


def _userinfo(app: App, access_token: str) -> Any:
    return app.browser.get("/oidc/userinfo", HTTP_AUTHORIZATION=f"Bearer {access_token}")


def _refresh(app: App, refresh_token: str) -> Any:
    return app.token(grant_type="refresh_token", refresh_token=refresh_token)


@pytest.mark.parametrize("trigger", list(TRIGGERS))
def test_ending_the_sessions_ends_the_tokens_and_codes_issued_before(
    app: App, alice: User, trigger: str
) -> None:
    stolen = _tokens(app, alice)
    bobs = _tokens(app, make_user(app.org, "bob@acme.test"))
    pending = _signed_in_app(app, alice)
    pending_code = pending.code()
    assert _userinfo(app, stolen["access_token"]).status_code == 200

    TRIGGERS[trigger](app.org, alice)

    info = _userinfo(app, stolen["access_token"])
    assert info.status_code == 401 and info.json()["error"] == "invalid_token"
    refreshed = _refresh(app, stolen["refresh_token"])
    assert refreshed.status_code == 400 and refreshed.json()["error"] == "invalid_grant"
    # Refused as revoked, not mistaken for the replay of a spent token.
    assert not AuditEvent.objects.filter(action="oidc.refresh_token_replayed").exists()
    exchanged = pending.exchange(pending_code)
    assert exchanged.status_code == 400 and exchanged.json()["error"] == "invalid_grant"

    assert _userinfo(app, bobs["access_token"]).status_code == 200  # another user's: kept
    assert _refresh(app, bobs["refresh_token"]).status_code == 200

    after = _tokens(app, alice)
    assert _userinfo(app, after["access_token"]).status_code == 200
    again = _refresh(app, after["refresh_token"])
    assert again.status_code == 200, again.content
    assert _userinfo(app, again.json()["access_token"]).status_code == 200
