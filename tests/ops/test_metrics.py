"""GET /metrics: Prometheus text with what the service did, open unless a token is set."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client, override_settings
from prometheus_client.parser import text_string_to_metric_families

from auth_methods.outbox import outbox_sweep
from tenants.models import Organisation
from tests.api.conftest import Api, make_api

pytestmark = pytest.mark.django_db

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


@pytest.fixture
def api(acme: Organisation) -> Api:
    return make_api(acme, ["admin"])


def scrape(host: str = "localhost", **headers: Any) -> Samples:
    response = Client(HTTP_HOST=host).get("/metrics", **headers)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    samples: Samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def test_a_ceremony_shows_in_the_counters_and_histograms(
    api: Api, acme: Organisation, django_capture_on_commit_callbacks: Any
) -> None:
    before = scrape()
    with django_capture_on_commit_callbacks(execute=True):
        assert api.register().status_code == 201
        assert api.sign_in().status_code == 200
        # A forged response: the challenge was never issued here.
        options = api.post("/webauthn/authenticate/options", {"user": {"id": "u1"}}).json()
        options["publicKey"]["challenge"] = "AAAAAAAAAAAAAAAAAAAAAA"
        credential = api.authenticator.get(options, origin=api.origin)
        failed = api.post("/webauthn/authenticate", {"credential": credential})
        assert failed.json()["code"] == "challenge_invalid"
    after = scrape("acme.localhost")

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    ceremonies = "passgate_ceremonies_total"
    assert grew(ceremonies, ceremony="register_options", outcome="ok") == 1
    assert grew(ceremonies, ceremony="register", outcome="ok") == 1
    assert grew(ceremonies, ceremony="authenticate_options", outcome="ok") == 2
    assert grew(ceremonies, ceremony="authenticate", outcome="ok") == 1
    assert grew(ceremonies, ceremony="authenticate", outcome="challenge_invalid") == 1
    assert grew("passgate_signins_total", method="passkey", outcome="ok") == 1
    assert grew("passgate_signins_total", method="passkey", outcome="challenge_invalid") == 1
    latency = "passgate_http_request_duration_seconds_count"
    assert grew(latency, route="webauthn/register", method="POST") == 1
    requests = "passgate_http_requests_total"
    assert grew(requests, route="webauthn/authenticate", method="POST", status="400") == 1
    # No series names an organisation, a host or a raw path.
    labels = {v for (_, pairs) in after for (_, v) in pairs}
    assert not any("acme" in label or "localhost" in label for label in labels)


def test_the_outbox_figures_come_from_the_last_sweeps(in_acme: Organisation) -> None:
    outbox_sweep()
    samples = scrape()
    assert ("passgate_outbox_backlog", frozenset()) in samples
    assert ("passgate_outbox_oldest_unsent_age_seconds", frozenset()) in samples
    assert ("passgate_outbox_last_sweep_timestamp_seconds", frozenset()) in samples


def test_a_route_pattern_labels_requests_with_ids_in_the_path(acme: Organisation) -> None:
    Client(HTTP_HOST="acme.localhost").get("/api/v1/users/some-user-id")
    samples = scrape()
    routes = {dict(pairs).get("route") for (name, pairs) in samples if "http_requests" in name}
    assert any(route and re.fullmatch(r"api/v1/users/<[^>]+>", route) for route in routes)
    assert not any(route and "some-user-id" in route for route in routes)


@override_settings(METRICS_TOKEN="m" * 40)
def test_a_metrics_token_requires_bearer(orgs: object) -> None:
    client = Client(HTTP_HOST="localhost")
    refused = client.get("/metrics")
    assert refused.status_code == 401
    assert refused["Content-Type"] == "application/problem+json"
    assert refused.json()["code"] == "unauthenticated"
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer " + "m" * 40).status_code == 200
