"""A passkey flagged as a possible clone: its owner (after step-up) and an admin can clear the
flag or delete it, from /account/security and the user's portal page; both audited."""

from __future__ import annotations

import pytest
from django.test import Client

from auth_methods.models import AuditEvent, Passkey, User
from tenants.context import with_org
from tenants.models import Organisation
from tests.portal.conftest import make_user, signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def clone(acme: Organisation, member: User) -> Passkey:
    with with_org(acme):
        return Passkey.objects.create(
            user=member,
            credential_id=b"\x07" * 16,
            public_key=b"key",
            algorithm=-7,
            aaguid="00000000-0000-0000-0000-000000000000",
            label="Old phone",
            flagged=True,
        )


def _reloaded(org: Organisation, passkey: Passkey) -> Passkey | None:
    with with_org(org):
        return Passkey.objects.filter(pk=passkey.pk).first()


def _events(org: Organisation, action: str) -> list[AuditEvent]:
    with with_org(org):
        return list(AuditEvent.objects.filter(action=action))


def test_the_owner_is_told_and_offered_both_ways_out(
    acme: Organisation, member_client: Client, clone: Passkey
) -> None:
    page = member_client.get("/account/security").content.decode()
    assert "“Old phone” is blocked as a possible copy." in page
    assert f'href="/account/passkeys/{clone.pk}/clear-flag"' in page
    assert f'href="/account/passkeys/{clone.pk}/delete"' in page


def test_the_owner_clears_the_flag_after_confirming(
    acme: Organisation, member: User, member_client: Client, clone: Passkey
) -> None:
    page = member_client.get(f"/account/passkeys/{clone.pk}/clear-flag").content.decode()
    assert "Trust “Old phone” again?" in page
    assert not _events(acme, "passkey.clear_flag")  # the question changes nothing
    response = member_client.post(f"/account/passkeys/{clone.pk}/clear-flag")
    assert response.status_code == 302 and response["Location"] == "/account/security"
    cleared = _reloaded(acme, clone)
    assert cleared is not None and not cleared.flagged and cleared.flagged_at is None
    (event,) = _events(acme, "passkey.clear_flag")
    assert event.actor == member and event.subject == member


def test_clearing_needs_a_recent_sign_in(
    acme: Organisation, member_client: Client, clone: Passkey
) -> None:
    session = member_client.session
    session["passgate_auth_at"] = 0
    session.save()
    response = member_client.post(f"/account/passkeys/{clone.pk}/clear-flag")
    assert response.status_code == 302 and response["Location"].startswith("/login/confirm")
    assert _reloaded(acme, clone).flagged  # type: ignore[union-attr]
    assert not _events(acme, "passkey.clear_flag")


def test_nobody_clears_someone_elses_flag_from_their_own_page(
    acme: Organisation, clone: Passkey
) -> None:
    other = signed_in(acme, make_user(acme, "other@acme.test"))
    assert other.post(f"/account/passkeys/{clone.pk}/clear-flag").status_code == 404
    assert _reloaded(acme, clone).flagged  # type: ignore[union-attr]
    assert not _events(acme, "passkey.clear_flag")


def _portal(member: User, clone: Passkey, op: str) -> str:
    return f"/orgs/acme/portal/users/{member.external_id}/passkeys/{clone.pk}/{op}"


def test_the_admin_sees_both_actions_on_the_users_page(
    acme: Organisation, admin_client: Client, member: User, clone: Passkey
) -> None:
    page = admin_client.get(f"/orgs/acme/portal/users/{member.external_id}").content.decode()
    assert f'href="{_portal(member, clone, "clear-flag")}"' in page
    assert f'href="{_portal(member, clone, "delete")}"' in page


def test_an_admin_clears_the_flag(
    acme: Organisation, admin: User, admin_client: Client, member: User, clone: Passkey
) -> None:
    confirm = admin_client.get(_portal(member, clone, "clear-flag")).content.decode()
    assert (
        "Clear the possible-clone flag?" in confirm and "“Old phone” of member@acme.test" in confirm
    )
    assert admin_client.post(_portal(member, clone, "clear-flag")).status_code == 302
    assert not _reloaded(acme, clone).flagged  # type: ignore[union-attr]
    (event,) = _events(acme, "passkey.clear_flag")
    assert event.actor == admin and event.subject == member


def test_an_admin_deletes_it_and_the_user_is_signed_out(
    acme: Organisation,
    admin: User,
    admin_client: Client,
    member: User,
    member_client: Client,
    clone: Passkey,
) -> None:
    assert admin_client.post(_portal(member, clone, "delete")).status_code == 302
    assert _reloaded(acme, clone) is None
    (event,) = _events(acme, "passkey.delete")
    assert event.actor == admin and event.subject == member
    assert member_client.get("/account/security").status_code == 302


def test_a_member_cannot_use_the_admin_route(
    acme: Organisation, member: User, member_client: Client, clone: Passkey
) -> None:
    assert member_client.post(_portal(member, clone, "clear-flag")).status_code == 403
    assert _reloaded(acme, clone).flagged  # type: ignore[union-attr]
    assert not _events(acme, "passkey.clear_flag")


def test_a_passkey_under_another_users_id_is_not_found(
    acme: Organisation, admin: User, admin_client: Client, clone: Passkey
) -> None:
    assert admin_client.post(_portal(admin, clone, "delete")).status_code == 404
    assert admin_client.post(_portal(admin, clone, "clear-flag")).status_code == 404
    assert _reloaded(acme, clone) is not None and not _events(acme, "passkey.delete")
