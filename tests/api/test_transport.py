"""Problems that arise before a service runs: size, rate, parsing, hosts, methods."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from api.throttling import FixedWindowThrottle, PerIpThrottle, PerKeyThrottle
from tests.api.conftest import Api
from tests.support.db import assert_problem, snapshot

pytestmark = pytest.mark.django_db


def test_a_body_over_the_limit_is_413(api: Api) -> None:
    before = snapshot(api.org)
    body = {"credential": {"id": "x" * 70000}}
    assert_problem(api.post("/webauthn/register", body), 413, "payload_too_large")
    assert snapshot(api.org) == before


def test_malformed_json_is_invalid_request(api: Api) -> None:
    response = api.client.post(
        "/webauthn/register/options", "{not json", content_type="application/json"
    )
    assert_problem(response, 400, "invalid_request")


def test_a_non_json_body_is_invalid_request(api: Api) -> None:
    response = api.client.post(
        "/webauthn/register/options", "a=b", content_type="application/x-www-form-urlencoded"
    )
    body = assert_problem(response, 400, "invalid_request")
    assert "media type" in body["detail"].lower()


def test_an_unknown_host_gets_a_problem_404_on_api_paths(api: Api) -> None:
    client = APIClient(HTTP_HOST="nobody.localhost")
    assert_problem(client.post("/webauthn/register/options", {}, format="json"), 404, "not_found")


def test_the_platform_host_has_no_webauthn_endpoints(api: Api) -> None:
    response = APIClient(HTTP_HOST="localhost").post(
        "/webauthn/register/options", {}, format="json"
    )
    assert response.status_code == 404


def test_a_wrong_method_is_a_problem_too(api: Api) -> None:
    response = api.client.get("/webauthn/register/options")
    assert response.status_code == 405
    assert response["Content-Type"] == "application/problem+json"


def test_too_many_requests_per_ip_get_429_with_retry_after(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(PerIpThrottle, "THROTTLE_RATES", {"ip": "3/min", "key": "1000/min"})
    monkeypatch.setattr(PerKeyThrottle, "THROTTLE_RATES", {"ip": "3/min", "key": "1000/min"})
    for _ in range(3):
        assert api.post("/webauthn/authenticate/options", {}).status_code == 200
    response = api.post("/webauthn/authenticate/options", {})
    assert_problem(response, 429, "rate_limited")
    assert 1 <= int(response["Retry-After"]) <= 60


def test_the_rate_counts_per_window_and_retry_after_names_its_end(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    rates = {"ip": "2/min", "key": "1000/min"}
    monkeypatch.setattr(PerIpThrottle, "THROTTLE_RATES", rates)
    monkeypatch.setattr(PerKeyThrottle, "THROTTLE_RATES", rates)
    clock = [6_000_000 * 60 + 45.5]  # 45.5 s into a minute
    monkeypatch.setattr(FixedWindowThrottle, "timer", lambda self: clock[0])
    for _ in range(2):
        assert api.post("/webauthn/authenticate/options", {}).status_code == 200
    refused = api.post("/webauthn/authenticate/options", {})
    assert_problem(refused, 429, "rate_limited")
    assert refused["Retry-After"] == "15"
    clock[0] += 14.0  # still this minute
    assert api.post("/webauthn/authenticate/options", {}).status_code == 429
    clock[0] += 1.0  # the next minute: a fresh count
    assert api.post("/webauthn/authenticate/options", {}).status_code == 200


def test_too_many_requests_per_key_get_429(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(PerIpThrottle, "THROTTLE_RATES", {"ip": "1000/min", "key": "2/min"})
    monkeypatch.setattr(PerKeyThrottle, "THROTTLE_RATES", {"ip": "1000/min", "key": "2/min"})
    for _ in range(2):
        assert api.post("/webauthn/authenticate/options", {}).status_code == 200
    response = api.post("/webauthn/authenticate/options", {}, REMOTE_ADDR="10.9.9.9")
    assert_problem(response, 429, "rate_limited")
    assert response["Retry-After"]
