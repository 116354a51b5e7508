"""make bench-tenants: time to create an organisation, and routed-request latency at 1 vs 200.

Runs in a scratch database on the configured server. Latency is measured in a fresh process
each time (so the garbage of 200 schema migrations in this process does not weigh on it),
in-process through the full WSGI stack: routing middleware, schema switch, one query.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time

ORGS = int(os.environ.get("BENCH_ORGS", "200"))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "4000"))


def measure(hosts: list[str]) -> list[float]:
    """Latencies of GET /readyz, round-robin over ``hosts`` (run in a child process)."""
    import django

    django.setup()
    from django.test import Client

    clients = [Client(HTTP_HOST=h) for h in hosts]
    for _ in range(max(3, 600 // len(hosts))):
        for client in clients:  # warm the routing cache and the connection
            assert client.get("/readyz").status_code == 200
    samples = []
    for i in range(REQUESTS):
        client = clients[i % len(clients)]
        start = time.perf_counter()
        response = client.get("/readyz")
        samples.append(time.perf_counter() - start)
        assert response.status_code == 200
    return samples


def settle() -> None:
    """Let PostgreSQL finish the work schema creation left behind (dead catalog rows, dirty
    buffers), so both measurements start from the same kind of quiet server."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
        cursor.execute("CHECKPOINT")
    connection.close()


def measure_in_child(hosts: list[str]) -> list[float]:
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.tenants", "--measure", *hosts],
        check=True,
        capture_output=True,
        text=True,
        env=os.environ.copy(),
    )
    samples: list[float] = json.loads(out.stdout.strip().splitlines()[-1])
    return samples


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def _line(name: str, samples: list[float]) -> str:
    p99 = statistics.quantiles(samples, n=100)[98]
    return f"| {name} | {_ms(statistics.median(samples))} | {_ms(p99)} |"


def main() -> None:
    from benchmarks._db import scratch_database

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("PASSGATE_DEBUG", "1")
    os.environ.setdefault("PASSGATE_LOG_LEVEL", "WARNING")
    with scratch_database("passgate_bench_tenants"):
        import django

        django.setup()
        from django.core.management import call_command

        from tenants.services import org_create

        call_command("migrate_schemas", shared=True, verbosity=0)
        creation: list[float] = []
        hosts: list[str] = []
        for i in range(1, ORGS + 1):
            start = time.perf_counter()
            hosts.append(org_create(slug=f"bench{i:04d}", name=f"Bench {i}").primary_host)
            creation.append(time.perf_counter() - start)
            if i == 1:
                settle()
                at_one = measure_in_child(hosts[:1])
        settle()
        same_host = measure_in_child(hosts[:1])
        round_robin = measure_in_child(hosts)

    ordered = sorted(creation)
    print(f"machine: {platform.node()}, {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    print(
        f"organisations created: {len(creation)}; "
        f"creation time: median {_ms(ordered[len(ordered) // 2])}, "
        f"p90 {_ms(ordered[int(len(ordered) * 0.9)])}, worst {_ms(ordered[-1])} "
        f"(first {_ms(creation[0])})"
    )
    print("| routed GET /readyz | p50 | p99 |\n| --- | --- | --- |")
    print(_line("1 organisation", at_one))
    print(_line(f"{len(hosts)} organisations, same host", same_host))
    print(_line(f"{len(hosts)} organisations, round-robin over all hosts", round_robin))
    base = statistics.median(at_one)
    for name, samples in (("same host", same_host), ("round-robin", round_robin)):
        print(
            f"p50 change at {len(hosts)} orgs ({name}): "
            f"{(statistics.median(samples) - base) / base * 100:+.1f}% (target within 10%)"
        )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--measure"]:
        print(json.dumps(measure(sys.argv[2:])))
    else:
        main()
