"""Under mfa_required, a person with a password and no second factor sets one up in the
half-done sign-in, in a real browser, and is then signed in."""

from __future__ import annotations

from typing import Any

import pyotp
import pytest
from playwright.sync_api import expect

from auth_methods.models import Passkey, TotpDevice
from tenants.context import with_org
from tests.browser.test_factors_in_chromium import require_mfa
from tests.support.committed import committed

pytestmark = [pytest.mark.browser, pytest.mark.django_db]


@pytest.fixture
def mfa_required(live: dict[str, Any], django_db_blocker: Any) -> Any:
    with django_db_blocker.unblock():
        require_mfa(live["org"], True)
    yield
    with django_db_blocker.unblock():
        require_mfa(live["org"], False)


def give_the_password(page: Any, base: str, person: dict[str, str]) -> None:
    page.goto(f"{base}/login?next=/account/security")
    page.get_by_label("Email").fill(person["email"])
    page.get_by_label("Password").fill(person["password"])
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(f"{base}/login/enrol**")
    expect(page.get_by_role("heading", name="Set up a second factor")).to_be_visible()


def passkeys_of(live: dict[str, Any], email: str) -> int:
    def count() -> int:
        with with_org(live["org"]):
            return Passkey.objects.filter(user__email=email).count()

    return committed(count)


@pytest.mark.no_autofill
def test_a_password_leads_to_a_new_passkey_then_a_session(
    live: dict[str, Any], page: Any, person: dict[str, str], mfa_required: None
) -> None:
    base = live["url"]
    give_the_password(page, base, person)
    # The step cannot be skipped: the account page is not signed in.
    page.goto(f"{base}/account/security")
    page.wait_for_url(f"{base}/login**")
    page.go_back()
    page.wait_for_url(f"{base}/login/enrol**")
    page.get_by_label("Label for your passkey").fill("This laptop")
    page.get_by_role("button", name="Add a passkey").click()
    page.wait_for_url(f"{base}/account/security")
    expect(page.get_by_role("cell", name="This laptop")).to_be_visible()
    assert person["email"] in page.content()
    assert passkeys_of(live, person["email"]) == 1


@pytest.mark.no_autofill
def test_a_password_leads_to_an_authenticator_app_then_a_session(
    live: dict[str, Any], page: Any, person: dict[str, str], mfa_required: None
) -> None:
    base = live["url"]
    give_the_password(page, base, person)
    page.get_by_role("link", name="Or set up an authenticator app").click()
    page.wait_for_url(f"{base}/login/enrol/totp**")
    expect(page.get_by_role("img", name="QR code for your authenticator app")).to_be_visible()
    secret = page.locator("#totp-secret").inner_text().strip()
    page.get_by_label("6-digit code").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn on and sign in").click()
    page.wait_for_url(f"{base}/account/security")
    expect(page.locator("#totp-status")).to_contain_text("On")

    def confirmed() -> bool:
        with with_org(live["org"]):
            device = TotpDevice.objects.get(user__email=person["email"])
            return device.confirmed_at is not None

    assert committed(confirmed)
