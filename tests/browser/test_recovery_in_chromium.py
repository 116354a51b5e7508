"""A recovery link in a real browser restores the lost passkey and nothing more."""

from __future__ import annotations

import time
from typing import Any

import pyotp
import pytest
from playwright.sync_api import expect

from auth_methods.models import Passkey, User
from auth_methods.recovery import LINK_TTL, link_issue
from tenants.context import with_org
from tests.browser.conftest import sign_in_with_password
from tests.browser.test_factors_in_chromium import require_mfa
from tests.browser.test_passkeys_in_chromium import add_passkey
from tests.support.committed import committed

# django_db: makes pytest-django set up the test database; writes go through committed().
pytestmark = [pytest.mark.browser, pytest.mark.django_db]


def a_link(live: dict[str, Any], person: dict[str, str]) -> str:
    def issue() -> str:
        with with_org(live["org"]):
            return link_issue(User.objects.get(email=person["email"]), LINK_TTL)

    return committed(issue)


def follow(page: Any, base: str, token: str) -> None:
    page.goto(f"{base}/recover/{token}")
    page.get_by_role("button", name="Sign me in").click()


@pytest.mark.no_autofill
def test_a_recovered_session_adds_a_passkey_but_cannot_regenerate_codes(
    live: dict[str, Any], page: Any, person: dict[str, str]
) -> None:
    base = live["url"]
    follow(page, base, a_link(live, person))
    page.wait_for_url(f"{base}/account/security")
    add_passkey(page, "New phone")
    with with_org(live["org"]):
        assert Passkey.objects.filter(user__email=person["email"]).count() == 1
    page.get_by_role("button", name="Generate recovery codes").click()
    page.wait_for_url(f"{base}/login/confirm**")


@pytest.mark.no_autofill
def test_under_mfa_required_the_app_is_asked_after_the_link(
    live: dict[str, Any], page: Any, person: dict[str, str]
) -> None:
    base = live["url"]
    sign_in_with_password(page, base, person)
    page.get_by_role("link", name="Set up authenticator app").click()
    secret = page.locator("#totp-secret").inner_text().strip()
    page.get_by_label("6-digit code").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn on").click()
    page.wait_for_url(f"{base}/account/security")
    page.get_by_role("button", name="Sign out").click()
    require_mfa(live["org"], True)
    try:
        follow(page, base, a_link(live, person))
        page.wait_for_url(f"{base}/login/second-factor/totp**")
        page.get_by_label("6-digit code").fill(pyotp.TOTP(secret).at(time.time() + 30))
        page.get_by_role("button", name="Confirm").click()
        page.wait_for_url(f"{base}/account/security")
        expect(page.get_by_role("button", name="Remove all my older passkeys")).to_be_visible()
    finally:
        require_mfa(live["org"], False)
