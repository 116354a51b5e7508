"""Changes to who can get into an account end the user's other sessions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client

from auth_methods.models import Passkey, TotpDevice, User
from auth_methods.recovery import LINK_TTL, link_issue
from auth_methods.session_revocation import end_other_sessions
from tenants.context import with_org
from tenants.models import Organisation
from tests.portal.conftest import signed_in

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


def _is_signed_in(client: Client) -> bool:
    response = client.get("/account/security")
    if response.status_code == 302:
        assert response["Location"].startswith("/login")
        return False
    assert response.status_code == 200
    return True


@pytest.fixture
def attacker(acme: Organisation, member: User) -> Client:
    """Someone else holding a session of the member (a stolen device, a shared computer)."""
    return signed_in(acme, member)


def test_deleting_a_passkey_ends_every_other_session_but_keeps_this_one(
    acme: Organisation, member: User, member_client: Client, attacker: Client
) -> None:
    with with_org(acme):
        _passkey(member, 1)
        lost = _passkey(member, 2)
    assert _is_signed_in(attacker)
    response = member_client.post(f"/account/passkeys/{lost.pk}/delete")
    assert response.status_code == 302
    assert not _is_signed_in(attacker)
    assert _is_signed_in(member_client)


def test_a_recovery_ends_the_other_sessions(
    acme: Organisation, member: User, attacker: Client
) -> None:
    with with_org(acme):
        token = link_issue(member, LINK_TTL)
    owner = Client(HTTP_HOST="acme.localhost")
    assert owner.post(f"/recover/{token}").status_code == 302
    assert not _is_signed_in(attacker)
    assert _is_signed_in(owner)


def test_removing_the_older_passkeys_after_a_recovery_ends_the_attackers_new_session(
    acme: Organisation, member: User
) -> None:
    with with_org(acme):
        token = link_issue(member, LINK_TTL)
    owner = Client(HTTP_HOST="acme.localhost")
    assert owner.post(f"/recover/{token}").status_code == 302
    attacker = signed_in(acme, member)  # signed in again after the recovery
    with with_org(acme):
        old = _passkey(member, 1)
        Passkey.objects.filter(pk=old.pk).update(created_at=old.created_at - timedelta(days=1))
        _passkey(member, 2)  # the one the owner enrolled after the recovery
    assert owner.post("/account/passkeys/revoke-others").status_code == 302
    with with_org(acme):
        assert list(Passkey.objects.filter(user=member).values_list("label", flat=True)) == [
            "Key 2"
        ]
    assert not _is_signed_in(attacker)
    assert _is_signed_in(owner)


@pytest.mark.parametrize("action", ["remove-passkeys", "wipe-second-factor", "disable"])
def test_an_admins_reset_wipe_or_disable_ends_the_users_sessions_only(
    acme: Organisation, member: User, member_client: Client, admin_client: Client, action: str
) -> None:
    with with_org(acme):
        _passkey(member, 1)
        TotpDevice.objects.create(user=member, secret_encrypted=b"x")
    url = f"/orgs/acme/portal/users/{member.external_id}/{action}"
    assert admin_client.post(url).status_code == 302
    assert not _is_signed_in(member_client)
    assert _is_signed_in(admin_client)
    if action == "disable":
        with with_org(acme):
            User.objects.filter(pk=member.pk).update(is_active=True)
        assert not _is_signed_in(member_client)  # enabling again revives no old session


def test_an_admins_harmless_change_ends_nothing(
    acme: Organisation, member_client: Client, admin_client: Client, member: User
) -> None:
    url = f"/orgs/acme/portal/users/{member.external_id}/require-enrolment"
    assert admin_client.post(url).status_code == 302
    assert _is_signed_in(member_client)


def test_a_session_of_the_current_epoch_and_one_from_before_epochs_both_work(
    acme: Organisation, member: User, member_client: Client
) -> None:
    session = member_client.session
    del session["passgate_session_epoch"]  # signed in before this release
    session.save()
    assert _is_signed_in(member_client)


def test_each_end_counts(in_acme: Organisation, member: User) -> None:
    for _ in range(3):
        end_other_sessions(member, keep=None)
    member.refresh_from_db()
    assert member.session_epoch == 3 and member.sessions_ended_at is not None
