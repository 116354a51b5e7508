"""Other factors in a real browser: set them up on /account/security, then sign in with them."""

from __future__ import annotations

import time
from typing import Any

import pyotp
import pytest
from playwright.sync_api import expect

from auth_methods.audit import Actor
from auth_methods.models import Passkey, TotpDevice
from auth_methods.settings_service import auth_settings_update
from tenants.context import with_org
from tenants.models import Organisation
from tests.browser.conftest import sign_in_with_password
from tests.support.committed import committed

# django_db: makes pytest-django set up the test database; writes go through committed().
pytestmark = [pytest.mark.browser, pytest.mark.django_db]


def sign_out_and_give_the_password(page: Any, base: str, person: dict[str, str]) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{base}/login")
    page.get_by_label("Email").fill(person["email"])
    page.get_by_label("Password").fill(person["password"])
    page.get_by_role("button", name="Sign in", exact=True).click()


def require_mfa(org: Organisation, on: bool) -> None:
    def update() -> None:
        with with_org(org):
            auth_settings_update(org=org, actor=Actor(label="test"), changes={"mfa_required": on})

    committed(update)


@pytest.mark.no_autofill
def test_a_person_sets_up_an_authenticator_app_and_signs_in_with_it(
    live: dict[str, Any], page: Any, person: dict[str, str]
) -> None:
    base = live["url"]
    sign_in_with_password(page, base, person)  # first: with a factor, a second step is due
    expect(page.locator("#totp-status")).to_contain_text("Off")
    page.get_by_role("link", name="Set up authenticator app").click()
    page.wait_for_url(f"{base}/account/totp/setup")
    expect(page.get_by_role("img", name="QR code for your authenticator app")).to_be_visible()
    secret = page.locator("#totp-secret").inner_text().strip()
    page.get_by_label("6-digit code").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn on").click()
    page.wait_for_url(f"{base}/account/security")
    expect(page.locator(".msg.success")).to_have_text("Authenticator app set up.")
    expect(page.locator("#totp-status")).to_contain_text("On")
    with with_org(live["org"]):
        assert TotpDevice.objects.get(user__email=person["email"]).confirmed_at is not None

    sign_out_and_give_the_password(page, base, person)
    page.wait_for_url(f"{base}/login/second-factor/totp**")
    # The set-up code is spent; the app's next one is within the accepted drift window.
    page.get_by_label("6-digit code").fill(pyotp.TOTP(secret).at(time.time() + 30))
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url(f"{base}/account/security")
    assert person["email"] in page.content()


@pytest.mark.no_autofill
def test_a_person_generates_recovery_codes_and_signs_in_with_one(
    live: dict[str, Any], page: Any, person: dict[str, str]
) -> None:
    base = live["url"]
    sign_in_with_password(page, base, person)
    expect(page.locator("#recovery-codes-left")).to_have_text("You have no unused recovery codes.")
    page.get_by_role("button", name="Generate recovery codes").click()
    page.wait_for_url(f"{base}/account/recovery-codes")
    codes = page.locator("#recovery-codes code").all_inner_texts()
    assert len(set(codes)) == 10
    page.get_by_role("link", name="I have saved my codes").click()
    page.wait_for_url(f"{base}/account/security")
    expect(page.locator("#recovery-codes-left")).to_have_text("10 unused recovery codes left.")
    assert not any(code in page.content() for code in codes)

    sign_out_and_give_the_password(page, base, person)
    page.wait_for_url(f"{base}/login/second-factor/recovery-code**")
    page.get_by_label("Recovery code").fill(codes[3])
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url(f"{base}/account/security")
    expect(page.locator("#recovery-codes-left")).to_have_text("9 unused recovery codes left.")


def test_the_last_required_factor_cannot_be_deleted(
    live: dict[str, Any], page: Any, person: dict[str, str], django_db_blocker: Any
) -> None:
    base = live["url"]
    sign_in_with_password(page, base, person)
    page.get_by_label("Label for a new passkey").fill("Only key")
    page.get_by_role("button", name="Add passkey").click()
    page.get_by_role("cell", name="Device-bound").first.wait_for()
    with django_db_blocker.unblock():
        require_mfa(live["org"], True)
    try:
        page.get_by_role("link", name="Delete").first.click()
        page.get_by_role("button", name="Delete passkey").click()
        page.wait_for_url(f"{base}/account/security")
        expect(page.locator(".msg.error")).to_contain_text("only remaining second factor")
        expect(page.get_by_role("cell", name="Device-bound")).to_have_count(1)
        with with_org(live["org"]):
            assert Passkey.objects.filter(user__email=person["email"]).count() == 1
    finally:
        with django_db_blocker.unblock():
            require_mfa(live["org"], False)
