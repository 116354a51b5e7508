"""make bench-tenants: organisation creation, routed-request latency at 1 vs 2,000, the
memory of a process that served them all, and a migration applied to the whole fleet.

Two scratch databases on the configured server: one holding 1 organisation, one holding
BENCH_ORGS (2,000; created here, each timed). Latency is measured in-process through the full
WSGI stack (routing middleware, schema switch, one query) by fresh processes per case, taking
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

ORGS = int(os.environ.get("BENCH_ORGS", "2000"))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "2000"))  # per process
PROCESSES = int(os.environ.get("BENCH_PROCESSES", "4"))  # per case


ROUNDS = int(os.environ.get("BENCH_ROUNDS", "20"))
FLEET_WORKERS = os.environ.get("BENCH_FLEET_WORKERS", str(os.cpu_count() or 1))


def rss_kib() -> int:
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith("VmRSS:"))
    return int(line.split()[1])


def serve(hosts: list[str]) -> None:
    """Child process: for each count read on stdin, time that many GET /readyz round-robin
    over ``hosts`` and print the latencies as one JSON line."""
    import django

    django.setup()
    from django.test import Client

    # One client for all hosts, as one web process serves them all: a client per host would
    # build a handler and middleware chain per host and measure those instead.
    client = Client()
    for _ in range(max(3, 600 // len(hosts))):
        for host in hosts:  # warm the routing cache and the connection
            assert client.get("/readyz", HTTP_HOST=host).status_code == 200
    print(f"ready {rss_kib()}", flush=True)
    i = 0
    for line in sys.stdin:
        samples = []
        for _ in range(int(line)):
            host = hosts[i % len(hosts)]
            i += 1
            start = time.perf_counter()
            response = client.get("/readyz", HTTP_HOST=host)
            samples.append(time.perf_counter() - start)
            assert response.status_code == 200
        print(json.dumps(samples), flush=True)


def settle() -> None:
    """Let PostgreSQL finish the work schema creation left behind (dead catalog rows, dirty
    buffers), so both measurements start from the same kind of quiet server."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
        cursor.execute("CHECKPOINT")
    connection.close()


class Child:
    def __init__(self, database_url: str, hosts: list[str]) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.tenants", "--serve", *hosts],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "DATABASE_URL": database_url},
        )
        assert self.proc.stdout is not None
        word, rss = self.proc.stdout.readline().split()
        assert word == "ready"
        self.rss_kib = int(rss)  # after touching every one of its hosts
        self.samples: list[float] = []

    def run(self, count: int) -> None:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(f"{count}\n")
        self.proc.stdin.flush()
        self.samples += json.loads(self.proc.stdout.readline())

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
    """Child process: migrate the shared schema, create ``count`` organisations one after
    another, settle, and print their hosts and creation times as one JSON line."""
    import django

    django.setup()
    from django.core.management import call_command

    from tenants.services import org_create

    call_command("migrate_schemas", shared=True, verbosity=0)
    hosts, times = [], []
    for i in range(1, count + 1):
        start = time.perf_counter()
        hosts.append(org_create(slug=f"bench{i:04d}", name=f"Bench {i}").primary_host)
        times.append(time.perf_counter() - start)
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


def _line(name: str, samples: list[float]) -> str:
    p99 = statistics.quantiles(samples, n=100)[98]
    return f"| {name} | {_ms(statistics.median(samples))} | {_ms(p99)} |"


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
        # Several processes per case: one process's layout (hash seeds, allocator) can shift
        # its latency by several percent on its own.
        at_one = [Child(one_url, one_host) for _ in range(PROCESSES)]
        same_host = [Child(many_url, many_hosts[:1]) for _ in range(PROCESSES)]
        round_robin = [Child(many_url, many_hosts) for _ in range(PROCESSES)]
        cases = zip(at_one, same_host, round_robin, strict=True)
        interleaved([child for case in cases for child in case])
        fleet = [migrate_fleet(many_url) for _ in ("new migration", "nothing left")]

    cuts = statistics.quantiles(creation, n=100, method="inclusive")
    last_tenth = statistics.quantiles(
        creation[-max(2, len(creation) // 10) :], n=100, method="inclusive"
    )
    print(f"machine: {platform.node()}, {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    print(
        f"organisations created: {len(creation)}; creation time: median "
        f"{_ms(statistics.median(creation))}, p90 {_ms(cuts[89])}, p99 {_ms(cuts[98])}, "
        f"worst {_ms(max(creation))} (first {_ms(creation[0])}, last {_ms(creation[-1])}; "
        f"p99 of the last 10%: {_ms(last_tenth[98])})"
    )
    print(
        f"routed requests: {ROUNDS} interleaved rounds of {REQUESTS // ROUNDS} per process, "
        f"{PROCESSES} processes per case\n"
        "| routed GET /readyz | p50 | p99 |\n| --- | --- | --- |"
    )
    print(_line("1 organisation", pooled(at_one)))
    print(_line(f"{len(many_hosts)} organisations, same host", pooled(same_host)))
    print(_line(f"{len(many_hosts)} organisations, round-robin", pooled(round_robin)))
    base = statistics.median(pooled(at_one))
    for name, case in (("same host", same_host), ("round-robin", round_robin)):
        p50 = statistics.median(pooled(case))
        print(
            f"p50 change at {len(many_hosts)} orgs ({name}): "
            f"{(p50 - base) / base * 100:+.1f}% (target within 10%)"
        )
    for name, case in (("1 org", at_one), (f"{len(many_hosts)} hosts", round_robin)):
        rss = statistics.median(child.rss_kib for child in case)
        print(f"resident memory of a process after touching {name}: {rss / 1024:.1f} MiB")
    for what, (seconds, summary) in zip(("new migration", "rerun"), fleet, strict=True):
        print(f"migrate_fleet ({what}, {FLEET_WORKERS} workers): {seconds:.1f} s; {summary}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--serve"]:
        serve(sys.argv[2:])
    elif sys.argv[1:2] == ["--create"]:
        create(int(sys.argv[2]))
    else:
        main()
