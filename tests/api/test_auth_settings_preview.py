"""POST /api/v1/auth-settings/preview: the PATCH's dry run, from the portal's preview service."""

from __future__ import annotations

import os
import re
from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from auth_methods.models import AuditEvent, Passkey, User
from tenants.context import with_org
from tenants.models import Domain, Organisation
from tests.api.conftest import Api, make_api
from tests.portal.conftest import make_user, signed_in
from tests.portal.test_auth_settings_page import URL as PAGE
from tests.portal.test_auth_settings_page import form_data
from tests.support.db import assert_problem, snapshot

pytestmark = pytest.mark.django_db

URL = "/api/v1/auth-settings/preview"


def preview(api: Api, body: Any) -> Any:
    return api.client.post(URL, body, format="json")


def settings_events(org: Organisation) -> int:
    with with_org(org):
        # The PATCH's refusal is audited (a failure); only a success means a change.
        return AuditEvent.objects.filter(
            action="auth_settings.update", outcome=AuditEvent.Outcome.SUCCESS
        ).count()


@pytest.fixture
def enrolled(api: Api, globex: Organisation) -> dict[str, str]:
    """Passkeys made through the real API: ``solo`` verifies the user, ``no-uv`` does not."""
    assert api.register("solo", "solo@acme.test").status_code == 201
    assert api.register("no-uv", "no-uv@acme.test", user_verified=False).status_code == 201
    assert make_api(globex, ["admin"]).register("g", "g@globex.test").status_code == 201
    return {"solo": "solo@acme.test", "no-uv": "no-uv@acme.test"}


def test_it_names_the_changes_and_who_would_be_locked_out_and_writes_nothing(
    api: Api, acme: Organisation, enrolled: dict[str, str]
) -> None:
    before = snapshot(acme)
    response = preview(api, {"user_verification": "required", "token_ttl_seconds": 300})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["changes"] == {"user_verification": ["preferred", "required"]}
    assert body["locks_out"]["count"] == 1
    (user,) = body["locks_out"]["users"]
    assert (user["id"], user["email"]) == ("no-uv", "no-uv@acme.test")
    assert "user verification" in user["reason"]
    assert snapshot(acme) == before and settings_events(acme) == 0


def test_turning_passkeys_off_names_everyone_without_another_way_in(
    api: Api, acme: Organisation, enrolled: dict[str, str]
) -> None:
    body = preview(api, {"passkey_login_enabled": False}).json()
    assert body["locks_out"]["count"] == 2
    assert {u["id"] for u in body["locks_out"]["users"]} == {"solo", "no-uv"}  # not globex's


def test_a_change_that_locks_nobody_out_says_so(api: Api, enrolled: dict[str, str]) -> None:
    body = preview(api, {"authenticator_attachment": "platform"}).json()
    assert body == {
        "changes": {"authenticator_attachment": ["any", "platform"]},
        "locks_out": {"count": 0, "users": []},
        "must_enrol": {"count": 0, "users": []},
    }


def test_who_must_set_up_a_second_factor_is_counted_apart_from_lockouts(
    api: Api, acme: Organisation, enrolled: dict[str, str]
) -> None:
    pw = make_user(acme, "pw@acme.test")  # a password and no second factor
    body = preview(api, {"mfa_required": True}).json()
    # solo's passkey verifies its user, so it is two factors alone; no-uv's is not, and
    # without a password no-uv has no way in (the sign-in page's passkey-alone rule).
    (shut,) = body["locks_out"]["users"]
    assert shut["id"] == "no-uv" and "PIN or biometrics" in shut["reason"]
    assert body["must_enrol"]["count"] == 1
    (user,) = body["must_enrol"]["users"]
    assert (user["id"], user["email"]) == (pw.external_id, "pw@acme.test")
    assert "they must set up a passkey or an authenticator app" in user["reason"]


def test_the_count_is_exact_and_the_list_stops_at_100(api: Api, acme: Organisation) -> None:
    with with_org(acme):
        for i in range(103):
            user = User.objects.create_user(f"u{i:03}@acme.test", None, external_id=f"u{i:03}")
            Passkey.objects.create(
                user=user, credential_id=os.urandom(16), public_key=b"k", algorithm=-7
            )
    locks_out = preview(api, {"passkey_login_enabled": False}).json()["locks_out"]
    assert locks_out["count"] == 103 and len(locks_out["users"]) == 100


BAD_BODIES: list[Any] = [
    {"timeout_seconds": 5},
    {"rp_id": "example.com"},
    {"allowed_origins": ["https://acme.example/path"]},
    {"require_trusted_attestation": True},
    {"no_such_field": 1},
    {"mfa_required": "yes"},
    [],
    "text",
]


@pytest.mark.parametrize("body", BAD_BODIES, ids=repr)
def test_a_bad_body_gets_exactly_the_patchs_400_and_writes_nothing(
    api: Api, acme: Organisation, body: Any
) -> None:
    before = snapshot(acme)
    previewed = assert_problem(preview(api, body), 400, "invalid_request")
    patched = assert_problem(
        api.client.patch("/api/v1/auth-settings", body, format="json"), 400, "invalid_request"
    )
    assert previewed["detail"] == patched["detail"]
    assert snapshot(acme) == before and settings_events(acme) == 0


def test_only_admins_may_ask(acme: Organisation, plain_api: Api) -> None:
    assert_problem(preview(plain_api, {}), 403, "forbidden")
    anonymous = APIClient(HTTP_HOST="acme.localhost")
    assert_problem(anonymous.post(URL, {}, format="json"), 401, "unauthenticated")


def test_a_signed_in_admin_gets_the_same_answer_as_the_portals_preview(
    acme: Organisation, enrolled: dict[str, str]
) -> None:
    admin = make_user(acme, "admin@acme.test", "admin")
    browser = signed_in(acme, admin)
    response = browser.post(URL, {"passkey_login_enabled": False}, content_type="application/json")
    assert response.status_code == 200, response.content
    api_emails = {u["email"] for u in response.json()["locks_out"]["users"]}
    page = _portal_preview_page(browser)
    portal_emails = set(re.findall(r'<tr data-locked-out="\d+"><td>([^<]+)</td>', page))
    assert api_emails == portal_emails == {"solo@acme.test", "no-uv@acme.test"}


def _portal_preview_page(browser: Client) -> str:
    response = browser.post(PAGE, form_data(passkey_login_enabled=False))
    assert response.status_code == 200
    return str(response.content.decode())


def test_a_new_rp_id_that_would_strand_every_passkey_is_shown_before_it_is_saved(
    api: Api, acme: Organisation
) -> None:
    """Finding 2 of issue 9: a PATCH could move rp_id and strand every passkey unseen."""
    Domain.objects.filter(tenant=acme).update(is_primary=False)
    Domain.objects.create(domain="login.acme.localhost", tenant=acme, is_primary=True)
    with with_org(acme):
        for name in ("ann", "ben"):
            user = User.objects.create_user(f"{name}@acme.test", None, external_id=name)
            Passkey.objects.create(
                user=user, credential_id=os.urandom(16), public_key=b"k", algorithm=-7
            )
    before = snapshot(acme)
    body = preview(api, {"rp_id": "acme.localhost"}).json()
    assert body["changes"] == {"rp_id": [None, "acme.localhost"]}
    assert body["locks_out"]["count"] == 2
    assert {u["id"] for u in body["locks_out"]["users"]} == {"ann", "ben"}
    assert all("RP ID" in u["reason"] for u in body["locks_out"]["users"])
    assert snapshot(acme) == before
