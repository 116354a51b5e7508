"""Redis (the cache) stops: sign-in on an org host goes on, readiness says the cache is down."""

from __future__ import annotations

from typing import Any

from tests.faults.conftest import Stack, StartServer
from tests.faults.services import Http, RedisServer
from tests.support.authenticator import SoftAuthenticator


def _register(http: Http, authenticator: SoftAuthenticator, user_id: str) -> int:
    origin = f"http://acme.localhost:{http.port}"
    status, options = http.call(
        "POST",
        "/webauthn/register/options",
        {"user": {"id": user_id, "name": f"{user_id}@acme.test", "display_name": user_id}},
    )
    assert status == 200, options
    credential = authenticator.create(options, origin=origin)
    status, body = http.call("POST", "/webauthn/register", {"credential": credential, "label": "k"})
    return status


def _sign_in(http: Http, authenticator: SoftAuthenticator, user_id: str) -> tuple[int, Any]:
    origin = f"http://acme.localhost:{http.port}"
    status, options = http.call("POST", "/webauthn/authenticate/options", {"user": {"id": user_id}})
    assert status == 200, options
    credential = authenticator.get(options, origin=origin)
    return http.call("POST", "/webauthn/authenticate", {"credential": credential})


def test_with_the_cache_stopped_sign_in_works_and_readiness_reports_it(
    stack: Stack, redis_server: RedisServer, start_server: StartServer
) -> None:
    process, http = start_server(PASSGATE_CACHE_URL=redis_server.url)
    authenticator = SoftAuthenticator()
    assert _register(http, authenticator, "cache-1") == 201
    assert _sign_in(http, authenticator, "cache-1")[0] == 200  # routing, policy cached now
    status, ready = http.call("GET", "/readyz")
    assert status == 200 and ready["checks"]["cache"] == "ok"

    redis_server.stop()
    for _ in range(3):  # not just once: each later call skips the dead cache
        status, body = _sign_in(http, authenticator, "cache-1")
        assert status == 200, body
        assert body["user"]["id"] == "cache-1"
    assert _register(http, SoftAuthenticator(), "cache-2") == 201
    status, problem = http.call("GET", "/readyz")
    assert status == 503
    assert problem["code"] == "service_unavailable"
    assert problem["checks"]["database"] == "ok"
    assert problem["checks"]["cache"].startswith("down")
    assert http.call("GET", "/healthz")[0] == 200
    # Loud: the outage is in the log and in the metrics.
    assert "cache unreachable" in process.text()
    status, metrics = http.call("GET", "/metrics")
    assert status == 200 and "passgate_cache_errors_total{" in metrics

    redis_server.start()
    http.call("GET", "/readyz")
    status, ready = http.call("GET", "/readyz")
    assert status == 200 and ready["checks"]["cache"] == "ok"
