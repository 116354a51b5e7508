"""Step-up in a real browser: a stale session that tries to add a passkey is sent to
re-confirm (the API's reauthentication_required), then comes back and adds it."""

from __future__ import annotations

import time
from typing import Any

import pytest

from auth_methods.models import Passkey
from auth_methods.reauth import RECENT_AUTH_SECONDS
from auth_methods.session_store import SessionStore
from auth_methods.sessions import AUTH_AT
from tenants.context import with_org
from tests.browser.conftest import sign_in_with_password
from tests.support.committed import committed

pytestmark = [pytest.mark.browser, pytest.mark.django_db]


def make_stale(live: dict[str, Any], page: Any) -> None:
    (cookie,) = [c for c in page.context.cookies() if c["name"] == "sessionid"]

    def age() -> None:
        with with_org(live["org"]):
            session = SessionStore(session_key=cookie["value"])
            session[AUTH_AT] = int(time.time()) - RECENT_AUTH_SECONDS - 1
            session.save()

    committed(age)


@pytest.mark.no_autofill
def test_a_stale_session_re_confirms_before_adding_a_passkey(
    live: dict[str, Any], page: Any, person: dict[str, str], django_db_blocker: Any
) -> None:
    base = live["url"]
    sign_in_with_password(page, base, person)
    with django_db_blocker.unblock():
        make_stale(live, page)
    page.goto(f"{base}/account/security")
    page.get_by_label("Label for a new passkey").fill("Laptop")
    page.get_by_role("button", name="Add passkey").click()
    page.wait_for_url(f"{base}/login/confirm?next=%2Faccount%2Fsecurity")
    with with_org(live["org"]):
        assert not Passkey.objects.filter(user__email=person["email"]).exists()

    page.get_by_label("Password").fill(person["password"])
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"{base}/account/security")
    page.get_by_label("Label for a new passkey").fill("Laptop")
    page.get_by_role("button", name="Add passkey").click()
    page.get_by_role("cell", name="Device-bound").first.wait_for()
    with with_org(live["org"]):
        assert Passkey.objects.get(user__email=person["email"]).label == "Laptop"


@pytest.mark.no_autofill
def test_a_passkey_confirms_it_is_you_as_well_as_the_password(
    live: dict[str, Any], page: Any, person: dict[str, str], django_db_blocker: Any
) -> None:
    base = live["url"]
    sign_in_with_password(page, base, person)
    page.get_by_label("Label for a new passkey").fill("Laptop")
    page.get_by_role("button", name="Add passkey").click()
    page.get_by_role("cell", name="Device-bound").first.wait_for()
    with django_db_blocker.unblock():
        make_stale(live, page)
    page.goto(f"{base}/account/security")
    page.get_by_label("Label", exact=True).first.fill("Phone")
    page.get_by_role("button", name="Rename").first.click()
    # Back to the page the change was made from, not to the POST-only address.
    page.wait_for_url(f"{base}/login/confirm?next=/account/security")
    page.get_by_role("button", name="Confirm with a passkey").click()
    page.wait_for_url(f"{base}/account/security")
    page.get_by_label("Label", exact=True).first.fill("Phone")
    page.get_by_role("button", name="Rename").first.click()
    page.get_by_text("Passkey renamed.").wait_for()
    with with_org(live["org"]):
        assert Passkey.objects.get(user__email=person["email"]).label == "Phone"
