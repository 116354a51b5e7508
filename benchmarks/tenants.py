"""make bench-tenants: organisation creation, routed-request latency at 1 vs 2,000, the
memory of a process that served them all, and a migration applied to the whole fleet.

Two scratch databases on the configured server: one holding 1 organisation, one holding
BENCH_ORGS (2,000: the last BENCH_TIMED_CREATIONS created and timed through org_create,
the others copies of the first, benchmarks.fleet_copies). Latency is measured in-process
through the full WSGI stack (routing middleware, schema switch, one query in the org's
schema: benchmarks.floor's routed view) by fresh processes per case, taking
turns in short rounds: this VM's speed drifts by tens of percent within a minute, and measuring
the cases one after the other compared the drift more than the tenancy. Then ``migrate_fleet``
applies a new migration (benchmarks.fleet_feature) to every schema of the big database, and runs
again to time a pass with nothing left to do (what a resumed run costs per finished schema).
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from typing import Any

ORGS = int(os.environ.get("BENCH_ORGS", "2000"))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "2000"))  # per process
PROCESSES = int(os.environ.get("BENCH_PROCESSES", "4"))  # per case


ROUNDS = int(os.environ.get("BENCH_ROUNDS", "20"))
# Organisations created (and timed) through org_create at the end; the others are copies.
# Routing middleware, schema switch, one read in the org's schema (benchmarks.floor); the
# children run benchmarks.settings, the production settings plus that view.
ROUTED = "/floor/routed"
TIMED = int(os.environ.get("BENCH_TIMED_CREATIONS", "50"))
FLEET_WORKERS = os.environ.get("BENCH_FLEET_WORKERS", str(os.cpu_count() or 1))


def rss_kib() -> int:
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith("VmRSS:"))
    return int(line.split()[1])


def serve(hosts: list[str]) -> None:
    """Child process: for each count read on stdin, time that many routed requests
    round-robin over ``hosts`` and print the latencies as one JSON line."""
    import django

    django.setup()
    from django.db import connection
    from django.test import Client

    # One client for all hosts, as one web process serves them all: a client per host would
    # build a handler and middleware chain per host and measure those instead.
    client = Client()
    for _ in range(max(3, 600 // len(hosts))):
        for host in hosts:  # warm the routing cache and the connection
            response = client.get(ROUTED, HTTP_HOST=host)
            assert response.status_code == 200
            assert response.json()["schema"] == "org_" + host.split(".")[0].replace("-", "_")
    print(f"ready {rss_kib()}", flush=True)
    statements = 0

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        nonlocal statements
        statements += 1
        return execute(sql, params, many, context)

    i = 0
    for line in sys.stdin:
        samples = []
        statements = 0
        backend = _backend_cpu()
        cpu = time.process_time()
        with connection.execute_wrapper(count):
            for _ in range(int(line)):
                host = hosts[i % len(hosts)]
                i += 1
                start = time.perf_counter()
                response = client.get(ROUTED, HTTP_HOST=host)
                samples.append(time.perf_counter() - start)
                assert response.status_code == 200
        # SQL statements and this process's CPU time: what the request cost, whatever the
        # machine's load did to the wall-clock samples.
        cpu = time.process_time() - cpu
        after = _backend_cpu()
        pg = after[1] - backend[1] if after[0] == backend[0] else None
        print(json.dumps({"samples": samples, "sql": statements, "cpu": cpu, "pg": pg}), flush=True)


def _backend_cpu() -> tuple[int, float]:
    """The PostgreSQL backend serving this process's connection, and its CPU seconds so far
    (from /proc: the server must be on this machine; else NaN)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        row = cursor.fetchone()
    pid = int(row[0]) if row else 0
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return pid, float("nan")
    return pid, (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def settle() -> None:
    """Let PostgreSQL finish the work schema creation left behind (dead catalog rows, dirty
    buffers), so both measurements start from the same kind of quiet server."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SET statement_timeout TO 0")  # minutes at 2,000 organisations
        cursor.execute("VACUUM ANALYZE")
        cursor.execute("CHECKPOINT")
    connection.close()


class Child:
    def __init__(self, database_url: str, hosts: list[str], *, cache_seconds: int) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.tenants", "--serve", *hosts],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={
                **os.environ,
                "DATABASE_URL": database_url,
                "DJANGO_SETTINGS_MODULE": "benchmarks.settings",
                "PASSGATE_TENANT_CACHE_SECONDS": str(cache_seconds),
            },
        )
        assert self.proc.stdout is not None
        word, rss = self.proc.stdout.readline().split()
        assert word == "ready"
        self.rss_kib = int(rss)  # after touching every one of its hosts
        self.samples: list[float] = []
        self.statements = 0
        self.cpu = 0.0
        self.pg_cpu = 0.0
        self.pg_requests = 0

    def run(self, count: int) -> None:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(f"{count}\n")
        self.proc.stdin.flush()
        result = json.loads(self.proc.stdout.readline())
        self.samples += result["samples"]
        self.statements += result["sql"]
        self.cpu += result["cpu"]
        # A batch during which the pool handed out another backend is left out of the figure.
        if result["pg"] is not None:
            self.pg_cpu += result["pg"]
            self.pg_requests += len(result["samples"])

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


def interleaved(children: list[Child]) -> None:
    """Rounds in which every child runs its share, in an order that rotates each round."""
    per_round = max(1, REQUESTS // ROUNDS)
    for r in range(ROUNDS):
        shift = r % len(children)
        for child in children[shift:] + children[:shift]:
            child.run(per_round)
    for child in children:
        child.close()


def pooled(children: list[Child]) -> list[float]:
    return [sample for child in children for sample in child.samples]


def create(count: int) -> None:
    """Child process: migrate the shared schema, make ``count`` organisations, settle, and
    print their hosts and the creation times of the ones timed as one JSON line.

    The first and the last ``TIMED`` are created one after another through ``org_create`` and
    timed; the ones between are copies of the first (benchmarks.fleet_copies), which only
    have to exist for the last ones to be created, and the requests routed, among them."""
    import django

    django.setup()
    from django.core.management import call_command

    from benchmarks.fleet_copies import copy_org
    from tenants.hosts import default_host
    from tenants.services import org_create

    call_command("migrate_schemas", shared=True, verbosity=0)
    slugs = [f"bench{i:04d}" for i in range(1, count + 1)]
    copied = slugs[1 : max(1, count - TIMED)]
    times = []
    for slug in slugs:
        if slug in copied:
            continue
        if copied and slug == slugs[len(copied) + 1]:
            start = time.perf_counter()
            copy_org(slugs[0], copied)
            print(f"copied {len(copied)} in {time.perf_counter() - start:.0f} s", file=sys.stderr)
        start = time.perf_counter()
        org_create(slug=slug, name=slug)
        times.append(time.perf_counter() - start)
    hosts = [default_host(slug) for slug in slugs]
    settle()
    print(json.dumps({"hosts": hosts, "times": times}))


def create_in_child(database_url: str, count: int) -> tuple[list[str], list[float]]:
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.tenants", "--create", str(count)],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "DATABASE_URL": database_url},
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    return result["hosts"], result["times"]


def migrate_fleet(database_url: str) -> tuple[float, str]:
    """Run manage.py migrate_fleet with one more tenant app; its wall time and summary."""
    start = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "manage.py", "migrate_fleet", "--workers", FLEET_WORKERS],
        check=True,
        capture_output=True,
        text=True,
        env={
            **os.environ,
            "DATABASE_URL": database_url,
            "DJANGO_SETTINGS_MODULE": "benchmarks.fleet_settings",
        },
    )
    return time.perf_counter() - start, out.stdout.strip().splitlines()[-1]


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def _line(name: str, case: list[Child]) -> str:
    samples = pooled(case)
    p99 = statistics.quantiles(samples, n=100)[98]
    cpu = sum(child.cpu for child in case) / len(samples)
    sql = sum(child.statements for child in case) / len(samples)
    pg_requests = sum(child.pg_requests for child in case)
    pg = sum(child.pg_cpu for child in case) / pg_requests if pg_requests else float("nan")
    return (
        f"| {name} | {_ms(statistics.median(samples))} | {_ms(p99)} | {_ms(cpu)} | {_ms(pg)} "
        f"| {sql:.2f} |"
    )


def measure_routing(one: tuple[str, list[str]], many: tuple[str, list[str]]) -> None:
    """Routed requests at 1 organisation and among many, interleaved, and their report.

    A host's routing entry lives TENANT_CACHE_SECONDS (300 s by default); a process that
    serves a host less often than that looks it up in the database each time. Round-robin
    over 2,000 hosts at this benchmark's pace visits each host once every few minutes, so
    with the default lifetime the result depended on how long the run took (the machine's
    load), not on the number of organisations. The cached cases therefore keep entries for
    the whole run, and a separate case keeps none: the cost of a host not seen lately."""
    (one_url, one_host), (many_url, many_hosts) = one, many
    steady = 86400
    # Several processes per case: one process's layout (hash seeds, allocator) can shift
    # its latency by several percent on its own.
    at_one = [Child(one_url, one_host, cache_seconds=steady) for _ in range(PROCESSES)]
    same_host = [Child(many_url, many_hosts[:1], cache_seconds=steady) for _ in range(PROCESSES)]
    round_robin = [Child(many_url, many_hosts, cache_seconds=steady) for _ in range(PROCESSES)]
    uncached = [Child(many_url, many_hosts, cache_seconds=0) for _ in range(PROCESSES)]
    cases = zip(at_one, same_host, round_robin, uncached, strict=True)
    interleaved([child for case in cases for child in case])

    n = len(many_hosts)
    print(
        f"routed requests: {ROUNDS} interleaved rounds of {REQUESTS // ROUNDS} per process, "
        f"{PROCESSES} processes per case\n"
        "| routed GET /floor/routed | p50 | p99 | CPU per request: Python | PostgreSQL "
        "| SQL per request |\n"
        "| --- | --- | --- | --- | --- | --- |"
    )
    print(_line("1 organisation", at_one))
    print(_line(f"{n} organisations, same host", same_host))
    print(_line(f"{n} organisations, round-robin", round_robin))
    print(_line(f"{n} organisations, round-robin, host not seen lately", uncached))
    base = statistics.median(pooled(at_one))
    base_cpu = sum(child.cpu for child in at_one)
    for name, case in (("same host", same_host), ("round-robin", round_robin)):
        p50 = statistics.median(pooled(case))
        cpu = sum(child.cpu for child in case)
        print(
            f"change at {n} orgs ({name}): p50 {(p50 - base) / base * 100:+.1f}%, "
            f"CPU {(cpu - base_cpu) / base_cpu * 100:+.1f}% (target within 10%)"
        )
    for name, case in (("1 org", at_one), (f"{n} hosts", round_robin)):
        rss = statistics.median(child.rss_kib for child in case)
        print(f"resident memory of a process after touching {name}: {rss / 1024:.1f} MiB")


def main() -> None:
    from benchmarks._db import scratch_database

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("PASSGATE_DEBUG", "1")
    os.environ.setdefault("PASSGATE_LOG_LEVEL", "WARNING")
    with (
        scratch_database("bench_one") as one_url,
        scratch_database("bench_many") as many_url,
    ):
        one_host, _ = create_in_child(one_url, 1)
        many_hosts, creation = create_in_child(many_url, ORGS)
        print(
            f"machine: {platform.node()}, {os.cpu_count()} cores, Python {sys.version.split()[0]}"
        )
        print(f"load average before measuring: {os.getloadavg()}")
        timed = creation[1:]  # the first was created among no others
        cuts = statistics.quantiles(timed, n=100, method="inclusive")
        print(
            f"organisations: {len(many_hosts)}; the last {len(timed)} created one after "
            f"another: median {_ms(statistics.median(timed))}, p90 {_ms(cuts[89])}, "
            f"p99 {_ms(cuts[98])}, worst {_ms(max(timed))} (the first: {_ms(creation[0])})"
        )
        measure_routing((one_url, one_host), (many_url, many_hosts))
        fleet = [migrate_fleet(many_url) for _ in ("new migration", "nothing left")]
    for what, (seconds, summary) in zip(("new migration", "rerun"), fleet, strict=True):
        print(f"migrate_fleet ({what}, {FLEET_WORKERS} workers): {seconds:.1f} s; {summary}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--serve"]:
        serve(sys.argv[2:])
    elif sys.argv[1:2] == ["--create"]:
        create(int(sys.argv[2]))
    else:
        main()
