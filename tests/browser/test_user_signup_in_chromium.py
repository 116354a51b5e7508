"""A person signs up on an organisation's own host, confirms the mailed link, registers a
passkey at once, and signs back in with it."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.core import mail
from playwright.sync_api import expect

from auth_methods.audit import Actor
from auth_methods.models import AuditEvent, Passkey, User
from auth_methods.settings_service import auth_settings_update
from tenants.context import with_org
from tests.support.committed import committed

# django_db: makes pytest-django set up the test database; writes go through committed().
pytestmark = [pytest.mark.browser, pytest.mark.django_db]
EMAIL = f"newcomer-{uuid.uuid4().hex[:8]}@browser.test"


@pytest.fixture
def signup_on(live: dict[str, Any], django_db_blocker: Any) -> Iterator[None]:
    org = live["org"]

    def turn(on: bool) -> None:
        with with_org(org):
            auth_settings_update(
                org=org, actor=Actor(label="test"), changes={"self_signup_enabled": on}
            )

    def forget() -> None:
        with with_org(org):
            User.objects.filter(email=EMAIL).delete()
            AuditEvent.objects.filter(action__startswith="user_signup.").delete()

    with django_db_blocker.unblock():
        committed(lambda: turn(True))
    yield
    with django_db_blocker.unblock():
        committed(lambda: turn(False))
        committed(forget)


@pytest.mark.no_autofill
@pytest.mark.usefixtures("signup_on")
def test_a_person_signs_up_registers_a_passkey_and_signs_back_in_with_it(
    live: dict[str, Any], page: Any, django_db_blocker: Any
) -> None:
    base = live["url"]
    mail.outbox.clear()

    page.goto(f"{base}/login")
    page.get_by_role("link", name="Create an account").click()
    page.wait_for_url(f"{base}/signup")
    page.get_by_label("Your email").fill("not an address")
    page.get_by_role("button", name="Email me the link").click()
    expect(page.get_by_role("alert")).to_contain_text("Enter your email address.")
    page.get_by_label("Your email").fill(EMAIL)
    page.get_by_role("button", name="Email me the link").click()
    page.get_by_role("heading", name="Check your email").wait_for()

    link = re.search(r"http://\S+/signup/confirm/\S+", str(mail.outbox[-1].body))
    assert link is not None and mail.outbox[-1].to == [EMAIL]
    page.goto(link.group(0))
    page.get_by_role("button", name="Create my account").click()
    page.wait_for_url(f"{base}/account/security?enrol=1")
    expect(page.locator("#enrolment-required")).to_be_visible()
    page.get_by_label("Label for a new passkey").fill("My laptop")
    page.get_by_role("button", name="Add passkey").click()
    expect(page.get_by_role("textbox", name="Label", exact=True)).to_have_value("My laptop")
    expect(page.locator("#enrolment-required")).to_have_count(0)

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{base}/login")
    page.goto(f"{base}/login?next=/account/security")
    page.get_by_role("button", name="Sign in with a passkey").click()
    page.wait_for_url(f"{base}/account/security")
    assert EMAIL in page.content()

    # The link made its account once: followed again, it is refused.
    page.goto(link.group(0))
    page.get_by_role("button", name="Create my account").click()
    expect(page.get_by_role("alert")).to_contain_text("already used")

    with django_db_blocker.unblock(), with_org(live["org"]):
        user = User.objects.get(email=EMAIL)
        assert user.role == User.Role.MEMBER and not user.has_usable_password()
        assert Passkey.objects.get(user=user).last_used_at is not None
