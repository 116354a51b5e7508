"""Real-browser tests: Debian's Chromium driven by Playwright, against a live server thread.

The server needs committed data, so these tests use their own organisation, created once,
and never the per-test transaction; a CDP virtual authenticator stands in for a passkey.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
from django.core.wsgi import get_wsgi_application

from auth_methods.users import user_create
from tenants.context import use_public_schema, with_org
from tenants.models import Organisation
from tenants.selectors import org_get
from tenants.services import org_create

# Playwright's sync API keeps an event loop on the main thread; the ORM calls these tests make
# there are ordinary blocking calls, which Django would otherwise refuse.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "a-Long-passphrase-1"


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


@pytest.fixture(scope="session")
def live(django_db_setup: None, django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    """A server thread on 127.0.0.1, an org served at http://browser.localhost:<port>."""
    with django_db_blocker.unblock():
        org = org_get("browser") or org_create(slug="browser", name="Browser Test Co").org
        use_public_schema()
        server = ThreadedWSGIServer(("127.0.0.1", 0), QuietHandler, allow_reuse_address=False)
        server.set_app(StaticFilesHandler(get_wsgi_application()))
        port = server.server_address[1]
        previous = settings.PUBLIC_PORT
        settings.PUBLIC_PORT = port  # the org's origin includes the port browsers use
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield {"org": org, "url": f"http://browser.localhost:{port}"}
        finally:
            server.shutdown()
            server.server_close()
            settings.PUBLIC_PORT = previous


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium: Any) -> Iterator[Any]:
    """A fresh browser profile with a CDP virtual platform authenticator (UV, resident keys)."""
    context = chromium.new_context()
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    page.set_default_timeout(10000)
    yield page
    context.close()


@pytest.fixture
def person(live: dict[str, Any], django_db_blocker: Any, request: Any) -> Iterator[dict[str, str]]:
    """A committed user of the browser org (removed again after the test)."""
    email = f"{request.node.name[:40].lower().replace('_', '-')}@browser.test"
    with django_db_blocker.unblock(), with_org(live["org"]):
        user = user_create(email=email, password=PASSWORD)
    yield {"email": email, "password": PASSWORD}
    with django_db_blocker.unblock(), with_org(live["org"]):
        user.delete()


def sign_in_with_password(
    page: Any, base: str, person: dict[str, str], next_path: str = "/account/security"
) -> None:
    page.goto(f"{base}/login?next={next_path}")
    page.get_by_label("Email").fill(person["email"])
    page.get_by_label("Password").fill(person["password"])
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(f"{base}{next_path}")


def org_schema_guard(org: Organisation) -> None:
    assert org.schema_name == "org_browser"
