"""A password change as a person meets it in Chromium: the browser that made it stays signed
in, every other browser of the person is signed out, and only the new password signs in."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in_with_password

# django_db: makes pytest-django set up the test database; writes go through committed().
pytestmark = [pytest.mark.browser, pytest.mark.django_db, pytest.mark.no_autofill]

NEW = "Another-long-one-2"


def _signs_in(chromium: Any, base: str, email: str, password: str) -> bool:
    context = chromium.new_context()
    try:
        page = context.new_page()
        page.set_default_timeout(10000)
        page.goto(f"{base}/login?next=/account/security")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in", exact=True).click()
        security = page.get_by_role("heading", name="Security")
        security.or_(page.get_by_text("That email and password do not match.")).wait_for()
        return bool(page.url == f"{base}/account/security")
    finally:
        context.close()


def test_changing_the_password_signs_out_the_other_browser(
    live: dict[str, Any], page: Any, chromium: Any, person: dict[str, str]
) -> None:
    base = live["url"]
    other_browser = chromium.new_context()
    try:
        other = other_browser.new_page()
        other.set_default_timeout(10000)
        sign_in_with_password(other, base, person)  # e.g. a shared computer left signed in
        sign_in_with_password(page, base, person)

        page.get_by_role("link", name="Change password").click()
        page.wait_for_url(f"{base}/account/password")
        page.get_by_label("New password", exact=True).fill("1234567")
        page.get_by_label("New password, again").fill("1234567")
        page.get_by_role("button", name="Change password").click()
        expect(page.locator("#new_password-errors")).to_contain_text("too short")
        expect(page.locator("#new_password-errors")).to_contain_text("too common")

        page.get_by_label("New password", exact=True).fill(NEW)
        page.get_by_label("New password, again").fill(NEW)
        page.get_by_role("button", name="Change password").click()
        page.wait_for_url(f"{base}/account/security")
        expect(page.locator(".msg.success")).to_contain_text("Every other device was signed out")

        other.goto(f"{base}/account/security")
        other.wait_for_url(f"{base}/login?next=/account/security")
        page.reload()  # the browser that made the change stays signed in
        expect(page.get_by_role("heading", name="Security")).to_be_visible()
    finally:
        other_browser.close()
    assert _signs_in(chromium, base, person["email"], NEW)
    assert not _signs_in(chromium, base, person["email"], person["password"])
