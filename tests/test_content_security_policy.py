"""Every response carries a strict Content-Security-Policy: pages, API errors, 413s, 404s, 500s."""

from __future__ import annotations

from unittest import mock

import pytest
from django.test import Client

from config.csp import API_DOCS_POLICY, POLICY
from tenants.models import Organisation

pytestmark = pytest.mark.django_db


def _directives(header: str) -> dict[str, str]:
    return dict(part.strip().split(" ", 1) for part in header.split(";"))


def test_the_policy_allows_no_inline_script_or_style() -> None:
    directives = _directives(POLICY)
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert directives["object-src"] == "'none'" and directives["frame-ancestors"] == "'none'"
    assert directives["base-uri"] == "'none'" and directives["default-src"] == "'self'"


@pytest.mark.parametrize(
    "host,path,status",
    [
        ("acme.localhost", "/login", 200),
        ("acme.localhost", "/webauthn/credentials", 401),
        ("acme.localhost", "/no/such/page", 404),
        ("nobody.localhost", "/login", 404),  # unknown host, answered by the routing layer
        ("127.0.0.1", "/healthz", 200),
        ("127.0.0.1", "/admin/login/", 200),
    ],
)
def test_pages_and_errors_carry_it(acme: Organisation, host: str, path: str, status: int) -> None:
    response = Client(HTTP_HOST=host, HTTP_ACCEPT="text/html,*/*").get(path)
    assert response.status_code == status
    assert response["Content-Security-Policy"] == POLICY


def test_an_oversized_body_gets_it_with_its_413(acme: Organisation) -> None:
    response = Client(HTTP_HOST="acme.localhost").post(
        "/webauthn/authenticate/options",
        data=b"{}",
        content_type="application/json",
        CONTENT_LENGTH="10000000",
    )
    assert response.status_code == 413
    assert response["Content-Security-Policy"] == POLICY


def test_a_server_error_page_gets_it(acme: Organisation) -> None:
    client = Client(
        HTTP_HOST="acme.localhost", HTTP_ACCEPT="text/html", raise_request_exception=False
    )
    with mock.patch("portal.views.signin.render", side_effect=RuntimeError("boom")):
        response = client.get("/login")
    assert response.status_code == 500
    assert response["Content-Security-Policy"] == POLICY


def test_only_the_api_docs_page_relaxes_it_for_its_renderer(acme: Organisation) -> None:
    response = Client(HTTP_HOST="127.0.0.1").get("/api/docs")
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == API_DOCS_POLICY
    assert "unsafe-inline" not in POLICY
