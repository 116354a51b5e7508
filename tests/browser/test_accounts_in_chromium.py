"""Accounts that cannot be taken over or stranded, as a person meets it in Chromium: other
sessions end when a passkey goes, the last way in is not deleted by accident, and a passkey
flagged as a possible clone can be cleared or deleted by its owner and by an admin."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from auth_methods.models import Passkey, User
from auth_methods.users import user_create
from tenants.context import with_org
from tests.browser.conftest import sign_in_with_password
from tests.browser.test_passkeys_in_chromium import add_passkey
from tests.support.committed import committed

# django_db: makes pytest-django set up the test database; writes go through committed().
pytestmark = [pytest.mark.browser, pytest.mark.django_db, pytest.mark.no_autofill]


def _in_org(live: dict[str, Any], django_db_blocker: Any, work: Any) -> Any:
    def run() -> Any:
        with with_org(live["org"]):
            return work()

    with django_db_blocker.unblock():
        return committed(run)


def _delete_passkey(page: Any, base: str, label: str) -> None:
    page.locator("tr", has=page.locator(f"input[value='{label}']")).get_by_role(
        "link", name="Delete"
    ).click()
    page.wait_for_url(f"{base}/account/passkeys/*/delete")


def _other_device_passkey(person: dict[str, str], label: str) -> Passkey:
    return Passkey.objects.create(
        user=User.objects.get(email=person["email"]),
        credential_id=b"\x09" * 16,
        public_key=b"key",
        algorithm=-7,
        aaguid="00000000-0000-0000-0000-000000000000",
        label=label,
    )


def test_deleting_a_lost_passkey_signs_out_the_other_browser(
    live: dict[str, Any],
    page: Any,
    chromium: Any,
    person: dict[str, str],
    django_db_blocker: Any,
) -> None:
    base = live["url"]
    other_browser = chromium.new_context()
    try:
        thief = other_browser.new_page()
        thief.set_default_timeout(10000)
        sign_in_with_password(thief, base, person)  # e.g. on the phone that gets lost
        sign_in_with_password(page, base, person)
        add_passkey(page, "Laptop")
        # A second passkey on another device (this browser holds one authenticator only).
        _in_org(live, django_db_blocker, lambda: _other_device_passkey(person, "Lost phone"))
        page.reload()
        thief.reload()
        expect(thief.get_by_role("heading", name="Security")).to_be_visible()

        _delete_passkey(page, base, "Lost phone")
        page.get_by_role("button", name="Delete passkey").click()
        page.wait_for_url(f"{base}/account/security")
        expect(page.locator(".msg.success")).to_have_text("Passkey “Lost phone” deleted.")

        thief.goto(f"{base}/account/security")
        thief.wait_for_url(f"{base}/login?next=/account/security")
        page.reload()  # this browser, which made the change, stays signed in
        expect(page.get_by_role("heading", name="Security")).to_be_visible()
    finally:
        other_browser.close()


def test_a_passwordless_person_must_say_they_understand_before_deleting_the_last_passkey(
    live: dict[str, Any], page: Any, person: dict[str, str], django_db_blocker: Any
) -> None:
    base = live["url"]
    sign_in_with_password(page, base, person)
    add_passkey(page, "Only key")

    def drop_password() -> None:
        user = User.objects.get(email=person["email"])
        user.set_unusable_password()
        user.save(update_fields=["password"])

    _in_org(live, django_db_blocker, drop_password)
    # A password change ends the session (Django's own rule): back in with the passkey.
    page.goto(f"{base}/login?next=/account/security")
    page.get_by_role("button", name="Sign in with a passkey").click()
    page.wait_for_url(f"{base}/account/security")
    _delete_passkey(page, base, "Only key")
    expect(page.locator("#last-way-in")).to_contain_text(
        "This passkey is your only way to sign in."
    )
    page.get_by_role("button", name="Delete passkey").click()
    # The box is required: the browser does not send the form without it.
    expect(page.get_by_label("I understand that I can then sign in only")).to_be_focused()
    assert (
        _in_org(
            live,
            django_db_blocker,
            lambda: Passkey.objects.filter(user__email=person["email"]).count(),
        )
        == 1
    )

    page.get_by_label("I understand that I can then sign in only").check()
    page.get_by_role("button", name="Delete passkey").click()
    page.wait_for_url(f"{base}/account/security")
    expect(page.get_by_text("You have no passkeys yet.")).to_be_visible()


def _flag(live: dict[str, Any], django_db_blocker: Any, email: str) -> None:
    _in_org(
        live,
        django_db_blocker,
        lambda: Passkey.objects.filter(user__email=email).update(
            flagged=True, flagged_at=timezone.now()
        ),
    )


def test_the_owner_clears_a_flag_and_the_passkey_signs_in_again(
    live: dict[str, Any], page: Any, person: dict[str, str], django_db_blocker: Any
) -> None:
    base = live["url"]
    sign_in_with_password(page, base, person)
    add_passkey(page, "Phone")
    _flag(live, django_db_blocker, person["email"])
    page.reload()
    expect(page.get_by_text("“Phone” is blocked as a possible copy.")).to_be_visible()
    page.get_by_role("link", name="Clear flag").click()
    page.wait_for_url(f"{base}/account/passkeys/*/clear-flag")
    page.get_by_role("button", name="Clear flag").click()
    page.wait_for_url(f"{base}/account/security")
    expect(page.locator(".msg.success")).to_have_text("Passkey “Phone” can sign in again.")

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{base}/login")
    page.goto(f"{base}/login?next=/account/security")
    page.get_by_role("button", name="Sign in with a passkey").click()
    page.wait_for_url(f"{base}/account/security")
    assert person["email"] in page.content()


@pytest.mark.org_admin
def test_an_admin_deletes_a_flagged_passkey_and_sees_who_cannot_sign_in(
    live: dict[str, Any], page: Any, person: dict[str, str], django_db_blocker: Any
) -> None:
    base = live["url"]
    sign_in_with_password(page, base, person)
    add_passkey(page, "Cloned key")
    _flag(live, django_db_blocker, person["email"])
    me = _in_org(live, django_db_blocker, lambda: User.objects.get(email=person["email"]))
    stranded_email = f"stranded-{me.pk}@browser.test"
    _in_org(live, django_db_blocker, lambda: user_create(email=stranded_email))
    try:
        page.goto(f"{base}/orgs/browser/portal/users/{me.external_id}")
        row = page.locator("tr", has_text="Cloned key")
        expect(row).to_contain_text("flagged: possible clone")
        row.get_by_role("link", name="Delete").click()
        expect(page.get_by_role("heading", name="Delete this passkey?")).to_be_visible()
        page.get_by_role("button", name="Delete passkey").click()
        expect(page.locator(".msg.success")).to_have_text("Passkey deleted.")
        expect(page.get_by_text("No passkeys.")).to_be_visible()

        page.goto(f"{base}/orgs/browser/portal/users?q=stranded-")
        stranded_row = page.locator("tr", has_text=stranded_email)
        expect(stranded_row).to_contain_text("no way to sign in")
        email_link = stranded_row.get_by_role("link", name=stranded_email)
        assert email_link.evaluate("e => getComputedStyle(e).textTransform") == "none"
    finally:
        _in_org(live, django_db_blocker, lambda: User.objects.filter(email=stranded_email).delete())
