"""Prometheus metrics: what the service does and how its dependencies behave.

No metric carries an organisation label: thousands of orgs would explode the series count,
and per-org figures live in each org's portal overview. Route labels are URL patterns
(``webauthn/credentials/<b64url:credential_id>``), never raw paths, for the same reason.

Under gunicorn, every worker process counts on its own; with ``PROMETHEUS_MULTIPROC_DIR``
set, prometheus-client writes the values to files there and ``/metrics`` adds them up.
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Iterable, Iterator
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

MULTIPROCESS = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))

REQUESTS = Counter(
    "passgate_http_requests_total",
    "HTTP requests by route pattern, method and status.",
    ["route", "method", "status"],
)
LATENCY = Histogram(
    "passgate_http_request_duration_seconds",
    "Time to answer a request, by route pattern.",
    ["route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
CEREMONIES = Counter(
    "passgate_ceremonies_total",
    "WebAuthn ceremony calls by step and outcome (ok, or the problem code).",
    ["ceremony", "outcome"],
)
SIGNINS = Counter(
    "passgate_signins_total",
    "Sign-in steps by method and outcome (ok, or the error code), from the audit trail.",
    ["method", "outcome"],
)
CACHE_ERRORS = Counter(
    "passgate_cache_errors_total",
    "Cache operations that failed (the request went on without the cache).",
    ["cache", "operation"],
)
DATABASE_ERRORS = Counter(
    "passgate_database_errors_total",
    "Requests that ended because the database was unreachable, too slow or locked.",
    ["kind"],
)
POOL = Gauge(
    "passgate_db_pool_connections",
    "Django's psycopg pool in this process: size, idle connections, requests waiting.",
    ["state"],
    multiprocess_mode="livesum",
)
SCHEDULER_ERRORS = Counter(
    "passgate_beat_tick_errors_total",
    "Beat ticks that failed on the database and were retried at the next tick.",
)


def observe_pool() -> None:
    """Copy the pool's own counters into the gauges; a no-op without a pool."""
    from django.db import connection

    pool = getattr(connection, "pool", None)
    if pool is None:
        return
    stats = pool.get_stats()
    POOL.labels("size").set(stats.get("pool_size", 0))
    POOL.labels("idle").set(stats.get("pool_available", 0))
    POOL.labels("waiting").set(stats.get("requests_waiting", 0))


class OutboxCollector(Collector):
    """Outbox figures read at scrape time from the one row per org the sweep keeps, so the
    scrape costs one query however many organisations there are."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from django.db import DatabaseError

        from tenants.outbox_status import outbox_totals

        try:
            totals = outbox_totals()
        except DatabaseError:
            DATABASE_ERRORS.labels("metrics").inc()
            return
        backlog = GaugeMetricFamily(
            "passgate_outbox_backlog", "Unsent outbox emails at the last sweep, all orgs."
        )
        backlog.add_metric([], totals.backlog)
        yield backlog
        oldest = GaugeMetricFamily(
            "passgate_outbox_oldest_unsent_age_seconds",
            "Age of the oldest email left unsent at the last sweep (0 when none).",
        )
        oldest.add_metric([], totals.oldest_unsent_age)
        yield oldest
        if totals.last_sweep is not None:
            last = GaugeMetricFamily(
                "passgate_outbox_last_sweep_timestamp_seconds",
                "Unix time of the least recent organisation's last outbox sweep; alert when "
                "time() minus this grows past a few minutes (beat or workers are stopped).",
            )
            last.add_metric([], totals.last_sweep)
            yield last


def _registry() -> CollectorRegistry:
    if MULTIPROCESS:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        registry.register(OutboxCollector())
        return registry
    if _outbox_collector not in _registered:
        REGISTRY.register(_outbox_collector)
        _registered.append(_outbox_collector)
    return REGISTRY


_outbox_collector = OutboxCollector()
_registered: list[Collector] = []


def _authorized(request: HttpRequest) -> bool:
    token: str = settings.METRICS_TOKEN
    if not token:
        return True
    offered = request.META.get("HTTP_AUTHORIZATION", "")
    return hmac.compare_digest(offered.encode(), f"Bearer {token}".encode())


def metrics_view(request: HttpRequest) -> HttpResponse:
    """``GET /metrics``: open unless PASSGATE_METRICS_TOKEN is set, then Bearer only."""
    from config.problems import probe_method_not_allowed, problem_response

    if request.method not in {"GET", "HEAD"}:
        return probe_method_not_allowed(request)
    if not _authorized(request):
        response = problem_response(
            code="unauthenticated",
            detail="Send the metrics token.",
        )
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    observe_pool()
    return HttpResponse(generate_latest(_registry()), content_type=CONTENT_TYPE_LATEST)


def label_values(metric: Any) -> Iterable[tuple[dict[str, str], float]]:
    """Samples of a metric in this process, for tests: (labels, value) pairs."""
    for family in metric.collect():
        for sample in family.samples:
            yield sample.labels, sample.value
