"""/orgs/<slug>/portal/configuration/auth-settings: the policy form, its guards, the lockout
pre-flight and the change history."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from django.test import Client

from auth_methods.models import AuditEvent, User
from auth_methods.policy import POLICY_FIELDS, OrgPolicy
from auth_methods.sessions import AUTH_AT
from tenants.context import with_org
from tenants.models import Organisation
from tests.api.conftest import make_api
from tests.portal.conftest import make_user
from tests.support.authenticator import SoftAuthenticator
from tests.support.db import snapshot

pytestmark = pytest.mark.django_db

URL = "/orgs/acme/portal/configuration/auth-settings"
MODEL = "ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4"
BAD_PEM = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----"


def form_data(**changes: Any) -> dict[str, str]:
    """What a browser posts for the default policy with ``changes`` (unticked boxes omitted)."""
    values = {name: getattr(OrgPolicy(), name) for name in POLICY_FIELDS} | changes
    data = {}
    for name, value in values.items():
        if isinstance(value, bool):
            if value:
                data[name] = "on"
        elif isinstance(value, list | tuple):
            data[name] = "\n".join(str(v) for v in value)
        else:
            data[name] = "" if value is None else str(value)
    return data


def send(client: Client, method: str, **changes: Any) -> Any:
    if method == "get":
        return client.get(URL)
    return client.post(URL, form_data(**changes))


def audit_count(org: Organisation) -> int:
    with with_org(org):
        return AuditEvent.objects.filter(action="auth_settings.update").count()


# --- who may use the page -------------------------------------------------------------------


@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_visitors_are_sent_to_sign_in(acme: Organisation, method: str) -> None:
    response = send(Client(HTTP_HOST="acme.localhost"), method, timeout_seconds=90)
    assert response.status_code == 302 and response["Location"].startswith("/login?next=")


@pytest.mark.parametrize("method", ["get", "post"])
def test_members_are_forbidden(acme: Organisation, member_client: Client, method: str) -> None:
    before = snapshot(acme)
    assert send(member_client, method, timeout_seconds=90).status_code == 403
    assert snapshot(acme) == before


@pytest.mark.parametrize("method", ["get", "post"])
def test_another_orgs_admin_session_is_unknown_here(
    acme: Organisation, other_org_admin_client: Client, method: str
) -> None:
    response = send(other_org_admin_client, method, timeout_seconds=90)
    assert response.status_code == 302 and response["Location"].startswith("/login?next=")
    assert audit_count(acme) == 0


@pytest.mark.parametrize("method", ["get", "post"])
def test_admins_may_use_it(acme: Organisation, admin_client: Client, method: str) -> None:
    response = send(admin_client, method, timeout_seconds=90)
    assert response.status_code == (200 if method == "get" else 302)


@pytest.mark.parametrize("method", ["get", "post"])
def test_another_orgs_slug_is_not_found(
    acme: Organisation, admin_client: Client, method: str
) -> None:
    wrong = URL.replace("/acme/", "/globex/")
    response = admin_client.get(wrong) if method == "get" else admin_client.post(wrong, form_data())
    assert response.status_code == 404


def test_a_post_without_the_csrf_token_is_refused(acme: Organisation, admin_client: Client) -> None:
    browser = Client(HTTP_HOST="acme.localhost", enforce_csrf_checks=True)
    browser.cookies["sessionid"] = admin_client.cookies["sessionid"].value
    assert browser.get(URL).status_code == 200
    before = snapshot(acme)
    assert browser.post(URL, form_data(timeout_seconds=90)).status_code == 403
    assert snapshot(acme) == before


def test_a_change_needs_a_recent_sign_in(acme: Organisation, admin_client: Client) -> None:
    with with_org(acme):
        session = admin_client.session
        session[AUTH_AT] = int(time.time()) - 11 * 60
        session.save()
    before = snapshot(acme)
    response = admin_client.post(URL, form_data(timeout_seconds=90))
    assert response.status_code == 302 and response["Location"].startswith("/login/confirm?next=")
    assert snapshot(acme) == before and audit_count(acme) == 0
    assert admin_client.get(URL).status_code == 200  # reading needs no step-up


# --- the form -------------------------------------------------------------------------------


def test_the_page_shows_every_field_with_what_it_enforces(admin_client: Client) -> None:
    page = admin_client.get(URL).content.decode()
    for name in POLICY_FIELDS:
        assert f'name="{name}"' in page, name
        assert f'aria-describedby="id_{name}_helptext"' in page, name
    attachment = page[page.index('data-field="authenticator_attachment"') :]
    assert attachment.index("Hint to the browser") < attachment.index("</div>")
    assert "Only an attested AAGUID allow-list truly enforces the authenticator model." in page
    assert 'placeholder="acme.localhost"' in page and 'value="-8, -7, -257"' not in page
    assert "-8, -7, -257</textarea>" in page


def test_a_valid_change_is_saved_audited_and_drives_the_next_ceremony(
    acme: Organisation, admin: User, admin_client: Client
) -> None:
    changes = {"timeout_seconds": 120, "user_verification": "required", "algorithms": "-7, -257"}
    response = admin_client.post(URL, form_data(**changes))
    assert response.status_code == 302 and response["Location"] == URL
    assert "Passkey policy saved." in admin_client.get(URL).content.decode()
    with with_org(acme):
        event = AuditEvent.objects.get(action="auth_settings.update")
    assert event.actor_id == admin.pk
    assert event.data["before"] == {
        "timeout_seconds": 60,
        "user_verification": "preferred",
        "algorithms": [-8, -7, -257],
    }
    assert event.data["after"]["algorithms"] == [-7, -257]
    api = make_api(acme, ["admin"])
    options = api.post("/webauthn/register/options", {"user": {"id": "u9", "name": "n@acme.test"}})
    public_key = options.json()["publicKey"]
    assert public_key["timeout"] == 120_000
    assert public_key["authenticatorSelection"]["userVerification"] == "required"
    assert [p["alg"] for p in public_key["pubKeyCredParams"]] == [-7, -257]


def test_blank_rp_fields_follow_the_organisation(acme: Organisation, admin_client: Client) -> None:
    assert admin_client.post(URL, form_data(rp_name="Acme Login")).status_code == 302
    assert admin_client.post(URL, form_data(rp_name="")).status_code == 302
    api = make_api(acme, ["admin"])
    assert api.client.get("/api/v1/auth-settings").json()["rp_name"] == "Acme Corp"


def test_pem_roots_may_be_pasted_back_to_back(acme: Organisation, admin_client: Client) -> None:
    first, second = SoftAuthenticator().ca.root_pem, SoftAuthenticator().ca.root_pem
    pasted = first.strip() + second.strip()  # no blank line between the blocks
    assert admin_client.post(URL, form_data(trusted_attestation_roots=pasted)).status_code == 302
    api = make_api(acme, ["admin"])
    roots = api.client.get("/api/v1/auth-settings").json()["trusted_attestation_roots"]
    assert roots == [first.strip() + "\n", second.strip() + "\n"]
    page = admin_client.get(URL).content.decode()
    assert "2 certificates" in page  # the history counts them rather than printing them


@pytest.mark.parametrize(
    "field,changes,message",
    [
        ("timeout_seconds", {"timeout_seconds": 5}, "from 10 to 600"),
        ("timeout_seconds", {"timeout_seconds": "soon"}, "Enter a whole number"),
        ("algorithms", {"algorithms": "-7, ES256"}, "whole numbers"),
        ("algorithms", {"algorithms": "-7, 12345"}, "not a supported COSE algorithm"),
        (
            "allowed_origins",
            {"allowed_origins": "http://acme.example"},
            "only allowed for localhost",
        ),
        ("allowed_aaguids", {"allowed_aaguids": MODEL}, "attestation direct or enterprise"),
        ("allowed_aaguids", {"attestation": "direct", "allowed_aaguids": "nope"}, "not a UUID"),
        ("rp_id", {"rp_id": "example.com"}, "Must be the primary host"),
        ("rp_id", {"rp_id": "localhost"}, "a public suffix nor the platform"),
        ("trusted_attestation_roots", {"trusted_attestation_roots": "junk"}, "Paste only PEM"),
        ("trusted_attestation_roots", {"trusted_attestation_roots": BAD_PEM}, "one PEM cert"),
        ("user_verification", {"user_verification": "always"}, "Select a valid choice"),
    ],
)
def test_a_bad_value_is_shown_on_its_field_and_changes_nothing(
    acme: Organisation, admin_client: Client, field: str, changes: dict[str, Any], message: str
) -> None:
    before = snapshot(acme)
    response = admin_client.post(URL, form_data(**changes))
    assert response.status_code == 400
    page = response.content.decode()
    error = re.search(rf'<ul class="errorlist" id="id_{field}_error">(.*?)</ul>', page, re.S)
    assert error and message in error.group(1), page[:3000]
    assert f"{field}:" not in error.group(1)  # the label says which field already
    widget = re.search(rf'<[^>]*name="{field}"[^>]*>', page)
    assert widget and 'aria-invalid="true"' in widget.group(0)
    assert f'aria-describedby="id_{field}_helptext id_{field}_error"' in widget.group(0)
    assert "Nothing was saved" in page
    assert snapshot(acme) == before and audit_count(acme) == 0


# --- the lockout pre-flight -----------------------------------------------------------------


@pytest.fixture
def enrolled(acme: Organisation, globex: Organisation) -> dict[str, str]:
    """Passkeys made through the real API; only ``password`` also has a password."""
    api = make_api(acme, ["admin"])
    assert api.register("solo", "solo@acme.test").status_code == 201
    no_uv = api.register("no-uv", "no-uv@acme.test", user_verified=False)
    assert no_uv.status_code == 201 and no_uv.json()["passkey"]["user_verified"] is False
    synced = SoftAuthenticator(backup_eligible=True, sign_count_step=0)
    assert api.register("synced", "synced@acme.test", authenticator=synced).status_code == 201
    user = make_user(acme, "password@acme.test")
    assert api.register(user.external_id, user.email).status_code == 201
    assert make_api(globex, ["admin"]).register("g", "solo@globex.test").status_code == 201
    return {"solo": "solo@acme.test", "no-uv": "no-uv@acme.test", "synced": "synced@acme.test"}


NO_PASSWORD = {"solo@acme.test", "no-uv@acme.test", "synced@acme.test"}
LOCKOUTS: list[tuple[str, dict[str, Any], set[str]]] = [
    ("passkeys off", {"passkey_login_enabled": False}, NO_PASSWORD),
    ("UV required", {"user_verification": "required"}, {"no-uv@acme.test"}),
    ("synced refused", {"allow_synced_passkeys": False}, {"synced@acme.test"}),
    ("ES256 dropped", {"algorithms": "-8, -257"}, NO_PASSWORD),
    ("AAGUID allow-list", {"attestation": "direct", "allowed_aaguids": MODEL}, NO_PASSWORD),
    (
        "passkeys off, passwordless only",
        {"passkey_login_enabled": False, "passwordless_only": True},
        NO_PASSWORD | {"password@acme.test"},
    ),
    (
        "passkeys off, second factor required",
        {"passkey_login_enabled": False, "mfa_required": True},
        NO_PASSWORD,  # password@acme.test must set up a second factor: not locked out
    ),
]


@pytest.mark.parametrize("title,changes,expected", LOCKOUTS, ids=[c[0] for c in LOCKOUTS])
def test_a_lockout_is_previewed_and_saved_only_when_confirmed(
    acme: Organisation,
    admin_client: Client,
    enrolled: dict[str, str],
    title: str,
    changes: dict[str, Any],
    expected: set[str],
) -> None:
    before = snapshot(acme)
    response = admin_client.post(URL, form_data(**changes))
    assert response.status_code == 200
    page = response.content.decode()
    assert f"would lock out {len(expected)} user" in page
    listed = set(re.findall(r'<tr data-locked-out="\d+"><td>([^<]+)</td>', page))
    assert listed == expected and "solo@globex.test" not in page
    assert 'name="confirm_lockout"' in page and "I understand" in page
    assert snapshot(acme) == before and audit_count(acme) == 0

    fingerprint = response.context["preview"].fingerprint
    saved = admin_client.post(URL, form_data(**changes) | {"confirm_lockout": fingerprint})
    assert saved.status_code == 302 and audit_count(acme) == 1


def test_a_confirmation_for_another_list_saves_nothing(
    acme: Organisation, admin_client: Client, enrolled: dict[str, str]
) -> None:
    first = admin_client.post(URL, form_data(user_verification="required"))
    fingerprint = first.context["preview"].fingerprint
    # The admin then also turns passkeys off: more people would be locked out.
    changes = {"user_verification": "required", "passkey_login_enabled": False}
    response = admin_client.post(URL, form_data(**changes) | {"confirm_lockout": fingerprint})
    assert response.status_code == 200 and audit_count(acme) == 0
    assert "The list changed since you confirmed it" in response.content.decode()


def test_a_change_that_locks_nobody_out_needs_no_confirmation(
    acme: Organisation, admin_client: Client, enrolled: dict[str, str]
) -> None:
    response = admin_client.post(URL, form_data(authenticator_attachment="cross-platform"))
    assert response.status_code == 302 and audit_count(acme) == 1
    page = admin_client.get(URL).content.decode()
    assert "Authenticator attachment: affects new registrations only" in page


# --- history --------------------------------------------------------------------------------


def test_the_history_shows_who_changed_what(acme: Organisation, admin_client: Client) -> None:
    make_api(acme, ["admin"]).set_policy(token_ttl_seconds=600)
    assert (
        admin_client.post(URL, form_data(token_ttl_seconds=600, timeout_seconds=120)).status_code
        == 302
    )
    # The admin has no second factor: they confirm that they will have to set one up.
    asked = admin_client.post(URL, form_data(token_ttl_seconds=600, mfa_required=True))
    confirm = {"confirm_lockout": asked.context["preview"].fingerprint}
    assert (
        admin_client.post(
            URL, form_data(token_ttl_seconds=600, mfa_required=True) | confirm
        ).status_code
        == 302
    )
    page = admin_client.get(URL).content.decode()
    history = page[page.index('id="policy-history"') :]
    assert "<code>timeout_seconds</code>: 60 → 120" in history
    assert "<code>mfa_required</code>: off → on" in history
    assert "<code>timeout_seconds</code>: 120 → 60" in history  # the second post resets it
    assert "<code>token_ttl_seconds</code>: 300 → 600" in history
    assert history.count("admin@acme.test") == 2 and "test" in history
    assert history.index("mfa_required") < history.index("token_ttl_seconds")  # newest first


def test_every_bad_field_is_shown_at_once(acme: Organisation, admin_client: Client) -> None:
    # A malformed input (algorithms), two out of range and a bad combination: one post shows
    # all four, each on its own field, as a sentence that does not repeat the field's name.
    changes = {
        "algorithms": "-7, ES256",
        "timeout_seconds": 5,
        "max_passkeys_per_user": 0,
        "allowed_aaguids": MODEL,
    }
    before = snapshot(acme)
    response = admin_client.post(URL, form_data(**changes))
    assert response.status_code == 400
    page = response.content.decode()
    for field in changes:
        error = re.search(rf'<ul class="errorlist" id="id_{field}_error">(.*?)</ul>', page, re.S)
        assert error, field
        message = re.sub(r"<[^>]+>", "", error.group(1)).strip()
        assert message[:1].isupper() and message.endswith("."), message
        assert field not in message, message
    summary = page[
        page.index('id="error-summary"') : page.index("</ul>", page.index("error-summary"))
    ]
    linked = re.findall(r'<li><a href="#id_([a-z_]+)">', summary)
    assert sorted(linked) == sorted(changes)  # the top of the page lists them all, linked
    assert snapshot(acme) == before and audit_count(acme) == 0
