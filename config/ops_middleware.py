"""The operations layer around every request: probes, metrics and database outages.

It sits before host routing, which reads the database on a cache miss: liveness must answer
while PostgreSQL is down, and probes from a load balancer or the kubelet name no org host.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from typing import Any

from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse

from config.metrics import CEREMONIES, DATABASE_ERRORS, LATENCY, REQUESTS, metrics_view
from config.problems import problem_response
from config.request_id import get_request_id
from tenants.health import healthz, readyz

PROBES: dict[str, Callable[[HttpRequest], HttpResponse]] = {
    "/healthz": healthz,
    "/readyz": readyz,
    "/metrics": metrics_view,
}
CEREMONY_ROUTES = {
    "webauthn/register/options": "register_options",
    "webauthn/register": "register",
    "webauthn/authenticate/options": "authenticate_options",
    "webauthn/authenticate": "authenticate",
}
RETRY_AFTER_SECONDS = 5
_DB_FAILURE = "_passgate_database_failure"


@receiver(got_request_exception)
def _note_database_failure(sender: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
    # Django turns an exception raised anywhere below into handler500's page before this
    # middleware sees it; the signal is the one place that still knows what it was.
    exc = sys.exc_info()[1]
    if request is not None and isinstance(exc, OperationalError | InterfaceError):
        setattr(request, _DB_FAILURE, type(exc.__cause__ or exc).__name__)


def _outcome(response: HttpResponse) -> str:
    if response.status_code < 400:
        return "ok"
    if response.get("Content-Type", "").startswith("application/problem+json"):
        try:
            code = json.loads(response.content).get("code")
        except (ValueError, AttributeError):
            code = None
        if isinstance(code, str) and code.isidentifier():
            return code
    return str(response.status_code)


def _route(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    return match.route if match is not None and match.route else "unmatched"


class OperationsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # For log lines written after the request id's context has ended (django.request).
        request.request_id = get_request_id()  # type: ignore[attr-defined]
        probe = PROBES.get(request.path_info)
        if probe is not None:
            return probe(request)
        started = time.perf_counter()
        response = self.get_response(request)
        failure = getattr(request, _DB_FAILURE, None)
        if failure is not None and response.status_code >= 500:
            DATABASE_ERRORS.labels(failure).inc()
            response = problem_response(
                code="service_unavailable",
                detail="The database did not answer in time; try again shortly.",
                headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            )
        route = _route(request)
        method = request.method or "GET"
        LATENCY.labels(route, method).observe(time.perf_counter() - started)
        REQUESTS.labels(route, method, str(response.status_code)).inc()
        ceremony = CEREMONY_ROUTES.get(route)
        if ceremony is not None:
            CEREMONIES.labels(ceremony, _outcome(response)).inc()
        return response
