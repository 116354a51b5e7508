"""Portal users pages: list with search and factors, detail, admin actions, create."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from auth_methods.models import AuditEvent, OutboxMessage, Passkey, RecoveryLink, TotpDevice, User
from tenants.context import with_org
from tenants.models import Organisation
from tests.api.conftest import make_api
from tests.portal.conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db

BASE = "/orgs/acme/portal"
ICLOUD = "fbfc3007-154e-4ecc-8c0b-6e020557d7bd"


@pytest.fixture
def target(acme: Organisation) -> User:
    return make_user(acme, "target@acme.test", external_id="target-1", display_name="Tess")


def enrol(org: Organisation, user: User, aaguid: str | None = None) -> None:
    """A real passkey enrolment through the API (optionally from a known authenticator)."""
    forge: dict[str, Any] = {"aaguid": uuid.UUID(aaguid).bytes} if aaguid else {}
    response = make_api(org, ["admin"]).register(user.external_id, user.email, **forge)
    assert response.status_code == 201, response.content


def add_totp(org: Organisation, user: User, *, confirmed: bool = True) -> None:
    with with_org(org):
        TotpDevice.objects.create(
            user=user, secret_encrypted=b"x", confirmed_at=timezone.now() if confirmed else None
        )


def reload(org: Organisation, user: User) -> User:
    with with_org(org):
        return User.objects.get(pk=user.pk)


def events(org: Organisation, action: str) -> list[AuditEvent]:
    with with_org(org):
        return list(
            AuditEvent.objects.filter(action=action)
            .select_related("actor", "subject")
            .order_by("id")
        )


# -- access ------------------------------------------------------------------------------

NEW_USER = {"email": "new@acme.test", "role": "member"}
PAGES = [
    ("get", "/users", {}),
    ("post", "/users", NEW_USER),
    ("get", "/users/target-1", {}),
    *[
        (method, f"/users/target-1/{action}", {})
        for action in ("disable", "require-enrolment", "send-registration-link")
        for method in ("get", "post")
    ],
]


def unchanged(org: Organisation, target: User) -> bool:
    person = reload(org, target)
    with with_org(org):
        created = User.objects.filter(email=NEW_USER["email"]).exists()
        linked = RecoveryLink.objects.filter(user=target).exists()
        mailed = OutboxMessage.objects.exists()
    return (
        person.is_active
        and not person.passkey_enrolment_required
        and not (created or linked or mailed)
    )


@pytest.mark.parametrize("method,path,data", PAGES)
def test_anonymous_visitors_are_sent_to_sign_in(
    acme: Organisation, target: User, method: str, path: str, data: dict[str, str]
) -> None:
    response = getattr(Client(HTTP_HOST="acme.localhost"), method)(BASE + path, data)
    assert response.status_code == 302 and response["Location"].startswith("/login?next=")
    assert unchanged(acme, target)


@pytest.mark.parametrize("method,path,data", PAGES)
def test_members_are_forbidden(
    acme: Organisation,
    member_client: Client,
    target: User,
    method: str,
    path: str,
    data: dict[str, str],
) -> None:
    assert getattr(member_client, method)(BASE + path, data).status_code == 403
    assert unchanged(acme, target)


@pytest.mark.parametrize("method,path,data", PAGES)
def test_another_orgs_admin_session_is_not_signed_in_here(
    acme: Organisation,
    other_org_admin_client: Client,
    target: User,
    method: str,
    path: str,
    data: dict[str, str],
) -> None:
    response = getattr(other_org_admin_client, method)(BASE + path, data)
    assert response.status_code == 302 and response["Location"].startswith("/login?next=")
    assert unchanged(acme, target)


@pytest.mark.parametrize("method,path,data", PAGES)
def test_admins_get_the_page(
    admin_client: Client, target: User, method: str, path: str, data: dict[str, str]
) -> None:
    expected = 200 if method == "get" else 302
    assert getattr(admin_client, method)(BASE + path, data).status_code == expected


@pytest.mark.parametrize("method,path,data", PAGES)
def test_another_orgs_slug_on_this_host_is_not_found(
    acme: Organisation,
    admin_client: Client,
    target: User,
    method: str,
    path: str,
    data: dict[str, str],
) -> None:
    response = getattr(admin_client, method)("/orgs/globex/portal" + path, data)
    assert response.status_code == 404
    assert unchanged(acme, target)


@pytest.mark.parametrize(
    "path,data",
    [
        ("/users", NEW_USER),
        *[(f"/users/target-1/{a}", {}) for a in ("remove-passkeys", "wipe-second-factor")],
        *[(f"/users/target-1/{a}", {}) for a in ("require-enrolment", "disable")],
        ("/users/target-1/send-registration-link", {}),
    ],
)
def test_every_post_needs_a_csrf_token(
    acme: Organisation, admin_client: Client, target: User, path: str, data: dict[str, str]
) -> None:
    strict = Client(HTTP_HOST="acme.localhost", enforce_csrf_checks=True)
    strict.cookies["sessionid"] = admin_client.cookies["sessionid"].value
    assert strict.post(BASE + path, data).status_code == 403
    with with_org(acme):
        assert not User.objects.filter(email="new@acme.test").exists()
        assert not AuditEvent.objects.filter(subject=target).exists()
    assert unchanged(acme, target)


# -- list --------------------------------------------------------------------------------


def test_the_list_shows_factors_at_a_glance(
    acme: Organisation, admin_client: Client, target: User
) -> None:
    enrol(acme, target, ICLOUD)
    add_totp(acme, target)
    pending = make_user(acme, "pending@acme.test")
    add_totp(acme, pending, confirmed=False)
    with with_org(acme):
        User.objects.filter(pk=pending.pk).update(is_active=False, passkey_enrolment_required=True)
    page = admin_client.get(f"{BASE}/users").content.decode()
    row = page.split('data-user="target-1"')[1].split("</tr>")[0]
    assert "iCloud Keychain" in row and "<td>1" in row and 'badge server">on' in row
    assert "Tess" in row and "—" in row and "active" in row
    other = page.split(f'data-user="{pending.external_id}"')[1].split("</tr>")[0]
    assert '"badge">off' in other and "disabled" in other and "required at next sign-in" in other


@pytest.mark.parametrize("q", ["TARGET@acme", "tESS", "target-1"])
def test_search_matches_email_display_name_or_external_id(
    admin_client: Client, target: User, q: str
) -> None:
    page = admin_client.get(f"{BASE}/users", {"q": q}).content.decode()
    assert 'data-user="target-1"' in page and "admin@acme.test</a>" not in page


def test_the_list_has_25_users_a_page(acme: Organisation, admin_client: Client) -> None:
    with with_org(acme):
        User.objects.bulk_create(User(email=f"u{i:02}@bulk.test") for i in range(30))
    first = admin_client.get(f"{BASE}/users", {"q": "bulk"}).content.decode()
    second = admin_client.get(f"{BASE}/users", {"q": "bulk", "page": "2"}).content.decode()
    assert first.count("data-user=") == 25 and second.count("data-user=") == 5
    assert "?q=bulk&amp;page=2" in first and "Page 1 of 2" in first
    assert "u29@bulk.test" in second and "u29@bulk.test" not in first


# -- detail ------------------------------------------------------------------------------


def test_the_detail_page_shows_factors_and_actions(
    acme: Organisation, admin_client: Client, target: User
) -> None:
    enrol(acme, target, ICLOUD)
    add_totp(acme, target)
    page = admin_client.get(f"{BASE}/users/target-1").content.decode()
    assert "target@acme.test" in page and "iCloud Keychain" in page and "since" in page
    for action in (
        "remove-passkeys",
        "wipe-second-factor",
        "require-enrolment",
        "send-registration-link",
        "disable",
    ):
        assert f'href="{BASE}/users/target-1/{action}"' in page


def test_a_user_of_another_org_is_not_found(globex: Organisation, admin_client: Client) -> None:
    make_user(globex, "elsewhere@globex.test", external_id="globex-only")
    assert admin_client.get(f"{BASE}/users/globex-only").status_code == 404
    assert admin_client.post(f"{BASE}/users/globex-only/disable").status_code == 404


def test_an_external_id_with_a_slash_has_a_page_and_actions(
    acme: Organisation, admin_client: Client
) -> None:
    user = make_user(acme, "slash@acme.test", external_id="tenant/42")
    assert admin_client.get(f"{BASE}/users/tenant/42").status_code == 200
    assert admin_client.post(f"{BASE}/users/tenant/42/disable").status_code == 302
    assert not reload(acme, user).is_active


# -- actions -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "action",
    [
        "remove-passkeys",
        "wipe-second-factor",
        "require-enrolment",
        "send-registration-link",
        "disable",
    ],
)
def test_each_action_asks_for_confirmation_first(
    acme: Organisation, admin_client: Client, target: User, action: str
) -> None:
    response = admin_client.get(f"{BASE}/users/target-1/{action}")
    page = response.content.decode()
    assert response.status_code == 200 and 'method="post"' in page and "csrfmiddlewaretoken" in page
    assert "target@acme.test" in page
    with with_org(acme):
        assert not AuditEvent.objects.filter(subject=target).exists()


def test_removing_all_passkeys_is_audited(
    acme: Organisation, admin: User, admin_client: Client, target: User
) -> None:
    enrol(acme, target)
    enrol(acme, target)
    response = admin_client.post(f"{BASE}/users/target-1/remove-passkeys", follow=True)
    assert "All passkeys removed." in response.content.decode()
    with with_org(acme):
        assert not Passkey.objects.filter(user=target).exists()
    (event,) = events(acme, "passkey.remove_all")
    assert event.actor == admin and event.subject == target and event.data == {"removed": 2}


def test_wiping_the_second_factor_deletes_the_app_and_is_audited(
    acme: Organisation, admin: User, admin_client: Client, target: User
) -> None:
    add_totp(acme, target)
    assert admin_client.post(f"{BASE}/users/target-1/wipe-second-factor").status_code == 302
    with with_org(acme):
        assert not TotpDevice.objects.filter(user=target).exists()
    (event,) = events(acme, "second_factor.wipe")
    assert event.actor == admin and event.subject == target
    assert event.data == {"removed": {"totp": 1, "recovery_codes": 0}}


@pytest.mark.parametrize(
    "action,field,value",
    [
        ("require-enrolment", "passkey_enrolment_required", True),
        ("disable", "is_active", False),
    ],
)
def test_flag_actions_and_their_undo_are_audited(
    acme: Organisation,
    admin: User,
    admin_client: Client,
    target: User,
    action: str,
    field: str,
    value: bool,
) -> None:
    undo = {"require-enrolment": "cancel-enrolment", "disable": "enable"}[action]
    name = {"is_active": "active"}.get(field, field)
    assert admin_client.post(f"{BASE}/users/target-1/{action}").status_code == 302
    assert getattr(reload(acme, target), field) is value
    assert admin_client.post(f"{BASE}/users/target-1/{undo}").status_code == 302
    assert getattr(reload(acme, target), field) is not value
    first, second = events(acme, "user.update")
    assert first.actor == admin and first.subject == target
    assert first.data == {"before": {name: not value}, "after": {name: value}}
    assert second.data == {"before": {name: value}, "after": {name: not value}}


def test_an_admin_cannot_disable_themselves(
    acme: Organisation, admin: User, admin_client: Client
) -> None:
    path = f"{BASE}/users/{admin.external_id}/disable"
    assert (
        "Disable user" not in admin_client.get(f"{BASE}/users/{admin.external_id}").content.decode()
    )
    response = admin_client.post(path, follow=True)
    assert "You cannot disable your own account" in response.content.decode()
    assert reload(acme, admin).is_active and not events(acme, "user.update")


# -- create ------------------------------------------------------------------------------


def test_creating_a_user_goes_through_the_service(acme: Organisation, admin_client: Client) -> None:
    data = {
        "email": "New@Acme.test",
        "display_name": "Newt",
        "role": "admin",
        "password": PASSWORD,
        "external_id": "crm-7",
    }
    response = admin_client.post(f"{BASE}/users", data)
    assert response.status_code == 302 and response["Location"] == f"{BASE}/users/crm-7"
    with with_org(acme):
        user = User.objects.get(external_id="crm-7")
    assert (user.email, user.display_name, user.role) == ("new@acme.test", "Newt", "admin")
    assert user.check_password(PASSWORD)


def test_a_user_without_password_or_external_id_gets_generated_ones(
    acme: Organisation, admin_client: Client
) -> None:
    response = admin_client.post(f"{BASE}/users", {"email": "bare@acme.test", "role": "member"})
    assert response.status_code == 302
    with with_org(acme):
        user = User.objects.get(email="bare@acme.test")
    assert user.external_id.startswith("usr_") and not user.has_usable_password()


@pytest.mark.parametrize(
    "data,field,message",
    [
        ({"email": "admin@acme.test"}, "email", "already exists"),
        ({"email": "x@acme.test", "password": "short"}, "password", "too short"),
        ({"email": "x@acme.test", "external_id": "target-1"}, "external_id", "already exists"),
        ({"email": "not an email"}, "email", "valid email"),
    ],
)
def test_create_errors_are_tied_to_their_field(
    acme: Organisation,
    admin_client: Client,
    target: User,
    data: dict[str, str],
    field: str,
    message: str,
) -> None:
    response = admin_client.post(f"{BASE}/users", {"role": "member", **data})
    page = response.content.decode()
    assert response.status_code == 400 and message in page
    assert f'id="id_{field}_error"' in page
    assert f'aria-describedby="id_{field}_helptext id_{field}_error"' in page or (
        f'aria-describedby="id_{field}_error"' in page
    )
    with with_org(acme):
        assert not User.objects.filter(email="x@acme.test").exists()


def test_recovery_codes_left_are_shown_at_a_glance(
    acme: Organisation, admin_client: Client
) -> None:
    from auth_methods.audit import Actor
    from auth_methods.recovery_codes.services import recovery_code_consume, recovery_codes_generate

    person = make_user(acme, "codes@acme.test")
    with with_org(acme):
        codes = recovery_codes_generate(actor=Actor(label="test"), user=person)
        recovery_code_consume(actor=Actor(label="test"), user=person, code=codes[0])
    listing = admin_client.get("/orgs/acme/portal/users?q=codes@").content.decode()
    assert "9 left" in listing
    detail = admin_client.get(f"/orgs/acme/portal/users/{person.external_id}").content.decode()
    assert "Recovery codes: 9 left" in detail


def test_a_registration_link_is_emailed_audited_and_signs_the_user_in_once(
    acme: Organisation,
    admin: User,
    admin_client: Client,
    target: User,
    mailoutbox: list[Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(f"{BASE}/users/target-1/send-registration-link", follow=True)
    assert "Passkey-registration link emailed." in response.content.decode()
    (mail,) = mailoutbox
    assert mail.to == ["target@acme.test"] and "within 24 hours" in mail.body
    link = re.search(r"http://acme\.localhost/invitation/(\S+)", mail.body)
    assert link is not None
    (event,) = events(acme, "registration_link.send")
    assert event.actor == admin and event.subject == target
    with with_org(acme):
        (row,) = RecoveryLink.objects.filter(user=target)
    lasts = row.expires_at - timezone.now()
    assert timedelta(hours=23, minutes=59) < lasts <= timedelta(hours=24)
    client = Client(HTTP_HOST="acme.localhost")
    invitation = client.get(f"/invitation/{link.group(1)}").content.decode()
    assert "<h1>Set up your passkey</h1>" in invitation and "invited you" in invitation
    assert "Recover your account" not in invitation
    redeemed = client.post(f"/invitation/{link.group(1)}")
    assert redeemed.status_code == 302 and redeemed["Location"] == "/account/security"
    security = client.get("/account/security").content.decode()
    assert "target@acme.test" in security and "Add your passkey now." in security
    assert "You signed in with a recovery link" not in security
    assert (
        Client(HTTP_HOST="acme.localhost").post(f"/invitation/{link.group(1)}").status_code == 400
    )


@pytest.mark.parametrize(
    "change,message",
    [
        ({"is_active": False}, "This user is disabled"),
        ({"email": "integrator-name-7"}, "is not an email address"),
    ],
)
def test_a_registration_link_is_refused_when_it_cannot_reach_the_user(
    acme: Organisation,
    admin_client: Client,
    target: User,
    change: dict[str, Any],
    message: str,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with with_org(acme):
        User.objects.filter(pk=target.pk).update(**change)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(f"{BASE}/users/target-1/send-registration-link", follow=True)
    assert message in response.content.decode()
    with with_org(acme):
        assert not RecoveryLink.objects.exists() and not OutboxMessage.objects.exists()
        assert not AuditEvent.objects.filter(action="registration_link.send").exists()


def test_the_wipe_confirmation_says_the_recovery_codes_go_too(
    acme: Organisation, admin_client: Client, target: User
) -> None:
    page = admin_client.get(f"{BASE}/users/target-1/wipe-second-factor").content.decode()
    assert "authenticator app and all their recovery codes are deleted" in page
