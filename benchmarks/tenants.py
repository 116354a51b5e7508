"""make bench-tenants: time to create an organisation, and routed-request latency at 1 vs 200.

Runs in a scratch database on the configured server. Request latency is measured in-process
through the full WSGI stack (routing middleware, schema switch, one query in the org schema)
so that the difference between 1 and 200 organisations is not drowned in network noise.
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import time

ORGS = int(os.environ.get("BENCH_ORGS", "200"))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "3000"))


def _latencies(client_factory: object, hosts: list[str], count: int) -> list[float]:
    from django.test import Client

    clients = [Client(HTTP_HOST=h) for h in hosts]
    for c in clients:  # warm the routing cache and connection
        assert c.get("/readyz").status_code == 200
    samples = []
    for i in range(count):
        client = clients[i % len(clients)]
        start = time.perf_counter()
        response = client.get("/readyz")
        samples.append(time.perf_counter() - start)
        assert response.status_code == 200
    return samples


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def main() -> None:
    from benchmarks._db import scratch_database

    with scratch_database("passgate_bench_tenants"):
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
        os.environ.setdefault("PASSGATE_DEBUG", "1")
        import django

        django.setup()
        from django.core.management import call_command

        from tenants.services import org_create

        call_command("migrate_schemas", shared=True, verbosity=0)
        creation: list[float] = []

        def create(i: int) -> str:
            start = time.perf_counter()
            made = org_create(slug=f"bench{i:04d}", name=f"Bench {i}")
            creation.append(time.perf_counter() - start)
            return made.primary_host

        first = create(1)
        at_one = _latencies(None, [first], REQUESTS)
        hosts = [first] + [create(i) for i in range(2, ORGS + 1)]
        at_many = _latencies(None, hosts, REQUESTS)
        from django.db import connections

        connections.close_all()

    p50_one, p50_many = statistics.median(at_one), statistics.median(at_many)
    q = statistics.quantiles
    print(f"machine: {platform.node()} {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    print(f"organisations created: {len(creation)}")
    print(f"creation time: median {_ms(statistics.median(creation))}, worst {_ms(max(creation))}")
    print(
        f"routed request at 1 org: p50 {_ms(p50_one)}, p99 {_ms(q(at_one, n=100)[98])}; "
        f"at {len(hosts)} orgs: p50 {_ms(p50_many)}, p99 {_ms(q(at_many, n=100)[98])}"
    )
    print(f"p50 difference: {(p50_many - p50_one) / p50_one * 100:+.1f}% (target within 10%)")


if __name__ == "__main__":
    main()
