"""Every error body, whichever layer answers, comes from one emitter: RFC 9457 with a catalogue
code, the catalogue's title and the request id that the X-Request-ID header carries."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.test import Client, RequestFactory, override_settings

from auth_methods.errors import ERROR_CODES
from config.handlers import bad_request, not_found, permission_denied, server_error
from config.problems import problem_body
from tenants.models import Organisation
from tenants.services import org_set_active
from tests.api.conftest import Api
from tests.support.db import assert_problem, snapshot

pytestmark = pytest.mark.django_db

REPO = Path(__file__).resolve().parents[2]


def assert_catalogued(response: Any, status: int, code: str) -> dict[str, Any]:
    body = assert_problem(response, status, code)
    assert body["title"] == ERROR_CODES[code].title
    assert body["status"] == ERROR_CODES[code].status == status
    assert body["request_id"] == response["X-Request-ID"]
    return body


def test_a_method_the_path_does_not_serve_is_405_with_a_real_title(api: Api) -> None:
    before = snapshot(api.org)
    response = api.client.put("/api/v1/auth-settings", {"mfa_required": True}, format="json")
    body = assert_catalogued(response, 405, "method_not_allowed")
    assert snapshot(api.org) == before
    assert "{" not in body["title"] + body["detail"]
    assert "PUT" in body["detail"]
    assert set(response["Allow"].replace(" ", "").split(",")) >= {"GET", "PATCH"}


def test_an_unknown_host_is_a_catalogued_404(db: None) -> None:
    response = Client(HTTP_HOST="nobody.localhost").get("/webauthn/credentials")
    body = assert_catalogued(response, 404, "not_found")
    assert "nobody.localhost" in body["detail"]


def test_a_disabled_org_is_a_catalogued_403(acme: Organisation) -> None:
    org_set_active(acme, False, actor="test")
    try:
        response = Client(HTTP_HOST="acme.localhost").get("/webauthn/credentials")
        assert_catalogued(response, 403, "forbidden")
    finally:
        org_set_active(acme, True, actor="test")


def test_an_unknown_path_is_a_catalogued_404(api: Api) -> None:
    assert_catalogued(api.client.get("/no/such/thing"), 404, "not_found")


@override_settings(MAX_BODY_BYTES=2048)
def test_an_oversized_body_is_a_catalogued_413(acme: object) -> None:
    client = Client(HTTP_HOST="acme.localhost")
    response = client.post(
        "/webauthn/authenticate/options", b"{" + b" " * 5000 + b"}", content_type="application/json"
    )
    assert_catalogued(response, 413, "payload_too_large")


def test_an_api_refusal_carries_the_request_id(acme: object) -> None:
    response = Client(HTTP_HOST="acme.localhost").get("/api/v1/auth-settings")
    assert_catalogued(response, 401, "unauthenticated")


def test_a_proxy_request_id_is_echoed_in_the_body(acme: object) -> None:
    response = Client(HTTP_HOST="acme.localhost", HTTP_X_REQUEST_ID="proxy-id-12345").get(
        "/api/v1/auth-settings"
    )
    assert assert_catalogued(response, 401, "unauthenticated")["request_id"] == "proxy-id-12345"


def test_an_accept_header_no_renderer_matches_still_gets_json(api: Api) -> None:
    response = api.client.get("/api/v1/auth-settings", HTTP_ACCEPT="text/csv")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"


@pytest.mark.parametrize(
    ("handler", "code"),
    [
        (server_error, "server_error"),
        (bad_request, "invalid_request"),
        (permission_denied, "forbidden"),
        (not_found, "not_found"),
    ],
)
def test_djangos_error_pages_are_catalogued_problems(handler: Any, code: str) -> None:
    response = handler(RequestFactory().get("/x"))
    assert response.status_code == ERROR_CODES[code].status
    assert response["Content-Type"] == "application/problem+json"
    body = json.loads(response.content)
    assert (body["code"], body["title"]) == (code, ERROR_CODES[code].title)
    page = handler(RequestFactory().get("/x", HTTP_ACCEPT="text/html"))
    assert page["Content-Type"].startswith("text/html")
    assert ERROR_CODES[code].title.encode() in page.content


def test_only_the_emitter_assembles_problem_bodies() -> None:
    # The OpenAPI description of the body (api/schema.py) names the shape; nothing else builds it.
    allowed = {REPO / "config" / "problems.py", REPO / "api" / "schema.py"}
    builders = [
        path
        for folder in ("api", "auth_methods", "config", "portal", "tenants")
        for path in (REPO / folder).rglob("*.py")
        if path not in allowed and "about:blank" in path.read_text()
    ]
    assert builders == []


def test_a_code_outside_the_catalogue_cannot_be_emitted() -> None:
    with pytest.raises(KeyError):
        problem_body(code="teapot", detail="No such code in the contract.")


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics"])
def test_probes_refuse_other_methods_with_a_catalogued_405(db: None, path: str) -> None:
    response = Client().post(path)
    body = assert_catalogued(response, 405, "method_not_allowed")
    assert response["Allow"] == "GET, HEAD"
    assert "POST" in body["detail"]


def test_extension_members_never_replace_the_standard_ones() -> None:
    body = problem_body(
        code="not_found",
        detail="gone",
        extensions={"checks": {"database": "ok"}, "code": "other", "status": 200},
    )
    assert body["checks"] == {"database": "ok"}
    assert (body["code"], body["status"], body["type"]) == ("not_found", 404, "about:blank")
