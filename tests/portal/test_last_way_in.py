"""Deleting the last way to sign in: named, and refused unless the person says they
understand that only an emailed recovery link then gets them back in."""

from __future__ import annotations

import time

import pytest
from django.test import Client

from auth_methods.encoding import b64url_encode
from auth_methods.models import AuditEvent, OutboxMessage, Passkey, User
from auth_methods.users import user_create
from tenants.context import with_org
from tenants.models import Organisation

pytestmark = pytest.mark.django_db


def _passkey(user: User, n: int, *, flagged: bool = False) -> Passkey:
    return Passkey.objects.create(
        user=user,
        credential_id=bytes([n]) * 16,
        public_key=b"key",
        algorithm=-7,
        aaguid="00000000-0000-0000-0000-000000000000",
        label=f"Key {n}",
        flagged=flagged,
    )


def _passwordless(org: Organisation, email: str, passkeys: int = 1) -> tuple[User, list[Passkey]]:
    with with_org(org):
        user = user_create(email=email)  # no password: passkeys only
        return user, [_passkey(user, n) for n in range(1, passkeys + 1)]


def _session_of(org: Organisation, user: User) -> Client:
    """Signed in moments ago (as with a passkey), so no step-up is due."""
    client = Client(HTTP_HOST=f"{org.slug}.localhost")
    with with_org(org):  # sessions live in the org's schema
        client.force_login(user)
        session = client.session
        session["passgate_auth_at"] = int(time.time())
        session.save()
    return client


def _nothing_written(org: Organisation, passkey: Passkey) -> None:
    with with_org(org):
        assert Passkey.objects.filter(pk=passkey.pk).exists()
        assert not AuditEvent.objects.filter(action="passkey.delete").exists()
        assert not OutboxMessage.objects.filter(kind="passkey_removed").exists()


def test_the_confirmation_names_the_consequence(acme: Organisation) -> None:
    user, (only,) = _passwordless(acme, "solo@acme.test")
    page = _session_of(acme, user).get(f"/account/passkeys/{only.pk}/delete").content.decode()
    assert "This passkey is your only way to sign in." in page
    assert 'name="understood"' in page and "emailed recovery link" in page


def test_deleting_the_last_way_in_without_saying_so_is_refused(acme: Organisation) -> None:
    user, (only,) = _passwordless(acme, "solo@acme.test")
    response = _session_of(acme, user).post(f"/account/passkeys/{only.pk}/delete", follow=True)
    assert "This passkey is your only way to sign in" in response.content.decode()
    _nothing_written(acme, only)


def test_it_goes_once_the_person_understands(acme: Organisation) -> None:
    user, (only,) = _passwordless(acme, "solo@acme.test")
    client = _session_of(acme, user)
    response = client.post(f"/account/passkeys/{only.pk}/delete", {"understood": "yes"})
    assert response.status_code == 302
    with with_org(acme):
        assert not Passkey.objects.filter(user=user).exists()
        assert AuditEvent.objects.filter(action="passkey.delete", subject=user).exists()


def test_without_an_email_address_it_is_refused_outright(acme: Organisation) -> None:
    user, (only,) = _passwordless(acme, "integrator-name-7")
    client = _session_of(acme, user)
    page = client.get(f"/account/passkeys/{only.pk}/delete").content.decode()
    assert "no recovery email can reach you" in page and 'id="confirm-delete"' not in page
    response = client.post(
        f"/account/passkeys/{only.pk}/delete", {"understood": "yes"}, follow=True
    )
    assert "no recovery email can reach you" in response.content.decode()
    _nothing_written(acme, only)


def test_one_of_several_passkeys_or_a_flagged_one_goes_without_a_question(
    acme: Organisation,
) -> None:
    user, (first, second) = _passwordless(acme, "duo@acme.test", passkeys=2)
    client = _session_of(acme, user)
    page = client.get(f"/account/passkeys/{first.pk}/delete").content.decode()
    assert 'name="understood"' not in page
    assert client.post(f"/account/passkeys/{first.pk}/delete").status_code == 302
    with with_org(acme):
        clone = _passkey(user, 9, flagged=True)  # no way in already
    assert client.post(f"/account/passkeys/{clone.pk}/delete").status_code == 302
    with with_org(acme):
        assert list(Passkey.objects.filter(user=user)) == [second]


def test_the_users_list_shows_who_has_no_way_to_sign_in(
    acme: Organisation, admin_client: Client, member: User
) -> None:
    stranded, _ = _passwordless(acme, "stranded@acme.test", passkeys=0)
    flagged_only, _ = _passwordless(acme, "flagged@acme.test", passkeys=0)
    holder, _ = _passwordless(acme, "holder@acme.test")
    with with_org(acme):
        _passkey(flagged_only, 7, flagged=True)
    page = admin_client.get("/orgs/acme/portal/users").content.decode()
    rows = {
        email: page.split(f'data-user="{user.external_id}"', 1)[1].split("</tr>", 1)[0]
        for email, user in (
            ("stranded", stranded),
            ("flagged", flagged_only),
            ("holder", holder),
            ("member", member),
        )
    }
    assert "no way to sign in" in rows["stranded"] and "no way to sign in" in rows["flagged"]
    assert "no way to sign in" not in rows["holder"] + rows["member"]


def test_the_api_refuses_it_to_the_persons_own_browser_session(acme: Organisation) -> None:
    user, (only,) = _passwordless(acme, "solo@acme.test")
    client = _session_of(acme, user)
    credential = b64url_encode(bytes(only.credential_id))
    response = client.delete(f"/webauthn/credentials/{credential}")
    assert response.status_code == 409 and response.json()["code"] == "last_factor"
    _nothing_written(acme, only)
