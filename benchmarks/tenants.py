"""make bench-tenants: time to create an organisation, and routed-request latency at 1 vs 200.

Two scratch databases on the configured server: one holding 1 organisation, one holding 200
(created here, each timed). Latency is measured in-process through the full WSGI stack (routing
middleware, schema switch, one query) by one fresh process per database, and the two take turns
in short rounds: this VM's speed drifts by tens of percent within a minute, and measuring the
two cases one after the other compared the drift more than the tenancy.
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
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "2000"))  # per process
PROCESSES = int(os.environ.get("BENCH_PROCESSES", "4"))  # per case


ROUNDS = int(os.environ.get("BENCH_ROUNDS", "20"))


def serve(hosts: list[str]) -> None:
    """Child process: for each count read on stdin, time that many GET /readyz round-robin
    over ``hosts`` and print the latencies as one JSON line."""
    import django

    django.setup()
    from django.test import Client

    clients = [Client(HTTP_HOST=h) for h in hosts]
    for _ in range(max(3, 600 // len(hosts))):
        for client in clients:  # warm the routing cache and the connection
            assert client.get("/readyz").status_code == 200
    print("ready", flush=True)
    i = 0
    for line in sys.stdin:
        samples = []
        for _ in range(int(line)):
            client = clients[i % len(clients)]
            i += 1
            start = time.perf_counter()
            response = client.get("/readyz")
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
        assert self.proc.stdout.readline().strip() == "ready"
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
        scratch_database("passgate_bench_one") as one_url,
        scratch_database("passgate_bench_many") as many_url,
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

    ordered = sorted(creation)
    print(f"machine: {platform.node()}, {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    print(
        f"organisations created: {len(creation)}; "
        f"creation time: median {_ms(ordered[len(ordered) // 2])}, "
        f"p90 {_ms(ordered[int(len(ordered) * 0.9)])}, worst {_ms(ordered[-1])} "
        f"(first {_ms(creation[0])})"
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


if __name__ == "__main__":
    if sys.argv[1:2] == ["--serve"]:
        serve(sys.argv[2:])
    elif sys.argv[1:2] == ["--create"]:
        create(int(sys.argv[2]))
    else:
        main()
