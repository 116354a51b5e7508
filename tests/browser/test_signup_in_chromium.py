"""A team signs up on the platform host and is in its own portal with a passkey minutes later."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from django.core import mail

from auth_methods.models import Passkey, User
from tenants.context import with_org
from tenants.selectors import org_get

pytestmark = [pytest.mark.browser, pytest.mark.django_db]
SLUG = f"signup-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def open_signup(settings: Any) -> None:
    # The org it creates stays until the test database goes: dropping a schema here would
    # wait on the live server's connections.
    settings.SIGNUP_MODE = "open"


@pytest.mark.no_autofill
@pytest.mark.usefixtures("open_signup")
def test_a_visitor_signs_up_registers_a_passkey_and_signs_back_in_with_it(
    live: dict[str, Any], page: Any, django_db_blocker: Any
) -> None:
    port = live["url"].rsplit(":", 1)[1]
    platform, org_url = f"http://localhost:{port}", f"http://{SLUG}.localhost:{port}"
    mail.outbox.clear()

    page.goto(f"{platform}/signup")
    page.get_by_label("Organisation name").fill("Signup Browser Ltd")
    page.get_by_label("Address").fill("browser")  # taken: the live check says so and suggests
    page.get_by_text("already exists").wait_for()
    page.get_by_role("button", name="browser-2").wait_for()
    page.get_by_label("Address").fill(SLUG)
    page.get_by_text(f"{SLUG} is available.").wait_for()
    page.get_by_label("Your email (the first admin)").fill("founder@signup.test")
    page.get_by_role("button", name="Email me the link").click()
    page.get_by_role("heading", name="Check your email").wait_for()

    link = re.search(r"http://\S+/signup/confirm/\S+", str(mail.outbox[-1].body))
    assert link is not None
    page.goto(link.group(0))
    page.get_by_role("button", name="Create my organisation").click()
    page.wait_for_url(re.compile(rf"{re.escape(org_url)}/welcome/.+"))
    page.get_by_role("button", name="Set up my passkey").click()
    page.wait_for_url(f"{org_url}/account/security?enrol=1")
    page.get_by_label("Label for a new passkey").fill("Founder laptop")
    page.get_by_role("button", name="Add passkey").click()
    page.wait_for_url(f"{org_url}/orgs/{SLUG}/portal/configuration/auth-settings")
    page.get_by_role("heading", name="First steps").wait_for()

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{org_url}/login")
    page.goto(f"{org_url}/login?next=/account/security")
    page.get_by_role("button", name="Sign in with a passkey").click()
    page.wait_for_url(f"{org_url}/account/security")
    assert "founder@signup.test" in page.content()

    with django_db_blocker.unblock():
        org = org_get(SLUG)
        assert org is not None
        with with_org(org):
            admin = User.objects.get(email="founder@signup.test")
            assert admin.role == User.Role.ADMIN
            assert Passkey.objects.get(user=admin).last_used_at is not None
        with with_org(live["org"]):  # the demo org knows nothing of the newcomer
            assert not User.objects.filter(email="founder@signup.test").exists()
    # The new org's session is worthless on the demo org's host.
    page.goto(f"{live['url']}/account/security")
    page.wait_for_url(re.compile(rf"{re.escape(live['url'])}/login.*"))
