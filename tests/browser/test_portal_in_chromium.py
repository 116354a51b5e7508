"""The org admin portal in a real browser: change the policy, and the API follows it."""

from __future__ import annotations

from typing import Any

import pytest

from auth_methods.audit import Actor
from auth_methods.settings_service import auth_settings_update
from tenants.context import with_org
from tests.browser.conftest import sign_in_with_password
from tests.support.committed import committed

pytestmark = [pytest.mark.browser, pytest.mark.django_db, pytest.mark.no_autofill]

SETTINGS = "/orgs/browser/portal/configuration/auth-settings"


@pytest.mark.org_admin
def test_an_admin_changes_the_policy_and_the_next_options_reflect_it(
    live: dict[str, Any], page: Any, person: dict[str, str], django_db_blocker: Any
) -> None:
    base = live["url"]
    sign_in_with_password(page, base, person, next_path="/orgs/browser/portal/")
    assert page.get_by_role("heading", name="Browser Test Co").is_visible()
    page.goto(f"{base}{SETTINGS}")
    page.select_option("select[name=attestation]", "direct")
    page.select_option("select[name=user_verification]", "required")
    page.get_by_role("button", name="Save").first.click()
    page.wait_for_load_state()
    try:
        options = page.evaluate(
            """async () => {
              const csrf = document.cookie.match(/csrftoken=([^;]+)/)[1]
              const r = await fetch('/webauthn/register/options', {method: 'POST',
                headers: {'Content-Type': 'application/json', 'X-CSRFToken': csrf}, body: '{}'})
              return r.json()
            }"""
        )["publicKey"]
        assert options["attestation"] == "direct"
        assert options["authenticatorSelection"]["userVerification"] == "required"
    finally:

        def reset() -> None:
            with with_org(live["org"]):
                auth_settings_update(
                    org=live["org"],
                    actor=Actor(label="test"),
                    changes={"attestation": "none", "user_verification": "preferred"},
                )

        with django_db_blocker.unblock():
            committed(reset)
