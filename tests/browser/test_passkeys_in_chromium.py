"""Passkeys in a real browser: add one on /account/security, then sign in with it alone."""

from __future__ import annotations

from typing import Any

import pytest

from auth_methods.models import Passkey
from tenants.context import with_org
from tests.browser.conftest import sign_in_with_password

# django_db: makes pytest-django set up the test database; writes go through committed().
pytestmark = [pytest.mark.browser, pytest.mark.django_db]


def add_passkey(page: Any, label: str) -> None:
    page.get_by_label("Label for a new passkey").fill(label)
    page.get_by_role("button", name="Add passkey").click()
    page.get_by_role("cell", name="Device-bound").first.wait_for()


@pytest.mark.no_autofill
def test_a_person_adds_a_passkey_and_signs_in_with_it_without_a_username(
    live: dict[str, Any], page: Any, person: dict[str, str], django_db_blocker: Any
) -> None:
    base = live["url"]
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url.split("/", 3)[3]) if r.method == "POST" else 0)
    sign_in_with_password(page, base, person)
    add_passkey(page, "Work laptop")
    assert page.get_by_label("Label", exact=True).first.input_value() == "Work laptop"
    with with_org(live["org"]):
        stored = Passkey.objects.get(user__email=person["email"])
        assert stored.label == "Work laptop" and stored.user_verified

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{base}/login")
    page.goto(f"{base}/login?next=/account/security")
    page.get_by_role("button", name="Sign in with a passkey").click()
    page.wait_for_url(f"{base}/account/security")
    assert person["email"] in page.content()
    with with_org(live["org"]):
        assert Passkey.objects.get(user__email=person["email"]).last_used_at is not None
    # Both ceremonies ran on the options rendered into their page (json_script).
    ceremony_posts = [p for p in posts if p.startswith("webauthn/")]
    assert ceremony_posts == ["webauthn/register", "webauthn/authenticate"]


@pytest.mark.no_autofill
def test_options_rendered_into_a_page_left_open_too_long_are_fetched_afresh(
    live: dict[str, Any], page: Any, person: dict[str, str]
) -> None:
    # Every clock reading after the page's first is an hour later: the challenge is stale.
    page.add_init_script(
        "{ const now = Date.now; let first = true;"
        " Date.now = () => now() + (first ? (first = false, 0) : 3600000) }"
    )
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url.split("/", 3)[3]) if r.method == "POST" else 0)
    sign_in_with_password(page, live["url"], person)
    add_passkey(page, "Laptop")
    ceremony_posts = [p for p in posts if p.startswith("webauthn/")]
    assert ceremony_posts == ["webauthn/register/options", "webauthn/register"]


def test_a_person_renames_and_deletes_a_passkey(
    live: dict[str, Any], page: Any, person: dict[str, str], django_db_blocker: Any
) -> None:
    base = live["url"]
    sign_in_with_password(page, base, person)
    add_passkey(page, "Old name")
    field = page.get_by_label("Label", exact=True).first
    field.fill("Phone")
    page.get_by_role("button", name="Rename").first.click()
    page.get_by_text("Passkey renamed.").wait_for()
    assert page.get_by_label("Label", exact=True).first.input_value() == "Phone"

    page.get_by_role("link", name="Delete").first.click()
    page.get_by_role("button", name="Delete passkey").click()
    page.get_by_text("You have no passkeys yet.").wait_for()
    with with_org(live["org"]):
        assert not Passkey.objects.filter(user__email=person["email"]).exists()


def test_browser_autofill_signs_in_with_the_passkey(
    live: dict[str, Any], page: Any, person: dict[str, str]
) -> None:
    base = live["url"]
    sign_in_with_password(page, base, person)
    add_passkey(page, "Laptop")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{base}/login")
    # Conditional mediation starts on load; the virtual authenticator picks the passkey.
    page.goto(f"{base}/login?next=/account/security")
    page.wait_for_url(f"{base}/account/security")
    assert person["email"] in page.content()


@pytest.mark.no_autofill
def test_a_password_then_the_passkey_as_second_factor(
    live: dict[str, Any], page: Any, person: dict[str, str]
) -> None:
    base = live["url"]
    sign_in_with_password(page, base, person)
    add_passkey(page, "Key")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{base}/login")
    page.get_by_label("Email").fill(person["email"])
    page.get_by_label("Password").fill(person["password"])
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(f"{base}/login/second-factor/passkey**")
    page.get_by_role("button", name="Use my passkey").click()
    page.wait_for_url(f"{base}/account/security")  # signed in: / sends people here
    assert person["email"] in page.content()
