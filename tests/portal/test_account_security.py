from __future__ import annotations

import pytest
from django.test import Client

from auth_methods.models import AuditEvent, Passkey, User
from tenants.context import with_org
from tenants.models import Organisation
from tests.api.conftest import make_api
from tests.portal.conftest import make_user, signed_in

pytestmark = pytest.mark.django_db


def enrolled(org: Organisation, user: User) -> Passkey:
    with with_org(org):
        user.external_id = f"ext-{user.pk}"
        user.save()
    assert make_api(org, []).register(user.external_id, user.email).status_code == 201
    with with_org(org):
        return Passkey.objects.get(user=user)


def test_the_page_lists_my_passkeys_only(acme: Organisation, member: User) -> None:
    client = signed_in(acme, member)
    mine = enrolled(acme, member)
    other = enrolled(acme, make_user(acme, "other@acme.test"))
    page = client.get("/account/security").content.decode()
    assert f'data-passkey="{mine.pk}"' in page and f'data-passkey="{other.pk}"' not in page
    assert "Device-bound" in page and "internal, hybrid" in page


def test_anonymous_visitors_are_sent_to_sign_in(acme: Organisation) -> None:
    response = Client(HTTP_HOST="acme.localhost").get("/account/security")
    assert response.status_code == 302 and response["Location"].startswith("/login?next=")


def test_someone_elses_passkey_is_not_found(acme: Organisation, member: User) -> None:
    client = signed_in(acme, member)
    other = enrolled(acme, make_user(acme, "other@acme.test"))
    assert client.post(f"/account/passkeys/{other.pk}/rename", {"label": "x"}).status_code == 404
    assert client.post(f"/account/passkeys/{other.pk}/delete").status_code == 404
    with with_org(acme):
        assert Passkey.objects.get(pk=other.pk).label == "Key"


def test_rename_and_delete_are_audited(acme: Organisation, member: User) -> None:
    client = signed_in(acme, member)
    passkey = enrolled(acme, member)
    assert (
        client.post(f"/account/passkeys/{passkey.pk}/rename", {"label": "Phone"}).status_code == 302
    )
    assert client.post(f"/account/passkeys/{passkey.pk}/delete").status_code == 302
    with with_org(acme):
        actions = set(AuditEvent.objects.filter(subject=member).values_list("action", flat=True))
        assert {"passkey.rename", "passkey.delete"} <= actions
        assert not Passkey.objects.filter(pk=passkey.pk).exists()


def test_the_last_required_factor_cannot_be_deleted(acme: Organisation, member: User) -> None:
    client = signed_in(acme, member)
    passkey = enrolled(acme, member)
    make_api(acme, ["admin"]).set_policy(mfa_required=True)
    response = client.post(f"/account/passkeys/{passkey.pk}/delete", follow=True)
    assert "only remaining second factor" in response.content.decode()
    with with_org(acme):
        assert Passkey.objects.filter(pk=passkey.pk).exists()


def test_changes_need_a_recent_sign_in(acme: Organisation, member: User) -> None:
    client = signed_in(acme, member)
    passkey = enrolled(acme, member)
    session = client.session
    session["passgate_auth_at"] = 0
    session.save()
    response = client.post(f"/account/passkeys/{passkey.pk}/rename", {"label": "Phone"})
    assert response.status_code == 302 and response["Location"].startswith("/login/confirm")
    with with_org(acme):
        assert Passkey.objects.get(pk=passkey.pk).label == "Key"


def test_a_flagged_user_is_asked_to_enrol_right_after_signing_in(acme: Organisation) -> None:
    user = make_user(acme, "flagged@acme.test")
    with with_org(acme):
        User.objects.filter(pk=user.pk).update(passkey_enrolment_required=True)
    client = Client(HTTP_HOST="acme.localhost")
    response = client.post(
        "/login", {"email": user.email, "password": "a-Long-passphrase-1", "next": "/x"}
    )
    assert response["Location"] == "/account/security?enrol=1"
    assert 'id="enrolment-required"' in client.get(response["Location"]).content.decode()
    enrolled(acme, user)  # registering a passkey completes the onboarding
    with with_org(acme):
        assert User.objects.get(pk=user.pk).passkey_enrolment_required is False
