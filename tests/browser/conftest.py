"""Real-browser tests: Debian's Chromium driven by Playwright, against a live server thread.

The server needs committed data, so these tests use their own organisation, created once,
and never the per-test transaction; a CDP virtual authenticator stands in for a passkey.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
from django.core.wsgi import get_wsgi_application
from django.db import connections

from auth_methods.models import User
from auth_methods.users import user_create
from tenants.context import with_org
from tenants.selectors import org_get
from tenants.services import org_create
from tests.support.committed import committed

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


@pytest.fixture(scope="module")
def live(django_db_setup: None, django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    """A server thread on 127.0.0.1, an org served at http://browser.localhost:<port>."""
    with django_db_blocker.unblock():
        org = committed(
            lambda: org_get("browser") or org_create(slug="browser", name="Browser Test Co").org
        )
        server = ThreadedWSGIServer(("127.0.0.1", 0), QuietHandler, allow_reuse_address=False)
        server.set_app(StaticFilesHandler(get_wsgi_application()))
        port = server.server_address[1]
        previous = settings.PUBLIC_PORT
        # The org's origin includes the port browsers use; restored when the module ends, as
        # every other test speaks to org hosts without a port.
        settings.PUBLIC_PORT = port
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield {"org": org, "url": f"http://browser.localhost:{port}"}
        finally:
            server.shutdown()
            server.server_close()
            settings.PUBLIC_PORT = previous
            # Request threads may still hold connections; the test database must be droppable.
            _end_other_sessions()


def _end_other_sessions() -> None:
    others = "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute(f"SELECT pg_terminate_backend(pid) {others}")  # noqa: S608
            for _ in range(50):  # termination is asynchronous: wait until they are gone
                cursor.execute(f"SELECT count(*) {others}")  # noqa: S608
                if cursor.fetchone() == (0,):
                    break
                time.sleep(0.1)
    finally:
        # This connection too: left open, it would keep the test database from being dropped.
        connections["default"].close()


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


NO_AUTOFILL = "delete PublicKeyCredential.isConditionalMediationAvailable;"


@pytest.fixture
def page(chromium: Any, request: Any) -> Iterator[Any]:
    """A fresh browser profile with a CDP virtual platform authenticator (UV, resident keys).

    The virtual authenticator answers conditional (autofill) requests at once, as if the
    person picked the suggestion; tests of the button mark themselves ``no_autofill`` to
    see the page as a browser without conditional mediation does.
    """
    context = chromium.new_context()
    if request.node.get_closest_marker("no_autofill"):
        context.add_init_script(NO_AUTOFILL)
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
    # Chromium reports every script or style the Content-Security-Policy refused here.
    refused: list[str] = []
    page.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    yield page
    context.close()
    assert not refused, f"the page broke its Content-Security-Policy: {refused}"


@pytest.fixture
def person(live: dict[str, Any], django_db_blocker: Any, request: Any) -> Iterator[dict[str, str]]:
    """A committed user of the browser org (removed again after the test); an org admin when
    the test is marked ``org_admin``."""
    email = f"{request.node.name[:40].lower().replace('_', '-')}@browser.test"
    role = "admin" if request.node.get_closest_marker("org_admin") else "member"

    def create() -> User:
        with with_org(live["org"]):
            return user_create(email=email, password=PASSWORD, role=role)

    def delete() -> None:
        with with_org(live["org"]):
            User.objects.filter(email=email).delete()

    with django_db_blocker.unblock():
        committed(create)
    yield {"email": email, "password": PASSWORD}
    with django_db_blocker.unblock():
        committed(delete)


def sign_in_with_password(
    page: Any, base: str, person: dict[str, str], next_path: str = "/account/security"
) -> None:
    page.goto(f"{base}/login?next={next_path}")
    page.get_by_label("Email").fill(person["email"])
    page.get_by_label("Password").fill(person["password"])
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(f"{base}{next_path}")
