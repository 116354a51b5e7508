"""make bench: complete passkey sign-ins against gunicorn on PostgreSQL, with references.

For 1, 8 and 32 concurrent clients (one process each, keep-alive HTTP): options -> sign ->
verify with an API key. In the same run: a bare py_webauthn verify loop (the crypto floor) and
a trivial DRF view pair doing one INSERT per call (the framework floor), the two taking turns.
"""

from __future__ import annotations

import http.client
import json
import multiprocessing as mp
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DURATION = float(os.environ.get("BENCH_SECONDS", "8"))  # per level and kind, in all
# The ceremony and the floor take turns in slices: this VM's speed drifts within a minute, and
# back-to-back runs compared the drift as much as the two.
SLICES = int(os.environ.get("BENCH_SLICES", "4"))
LEVELS = [int(n) for n in os.environ.get("BENCH_CLIENTS", "1,8,32").split(",")]
WORKERS = int(os.environ.get("BENCH_WORKERS", "3"))
WORKER_CLASS = os.environ.get("BENCH_WORKER_CLASS", "sync")
THREADS = int(os.environ.get("BENCH_THREADS", "1"))
HOST = "bench.localhost"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Client:
    def __init__(self, port: int, secret: str) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.headers = {
            "Host": f"{HOST}:{port}",
            "Content-Type": "application/json",
            "Authorization": f"Bearer {secret}",
        }

    def post(self, path: str, body: Any) -> tuple[int, Any]:
        self.conn.request("POST", path, json.dumps(body), self.headers)
        response = self.conn.getresponse()
        return response.status, json.loads(response.read() or b"null")


def setup_org(port: int) -> str:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from auth_methods.api_keys import api_key_create
    from auth_methods.audit import CLI
    from benchmarks.floor import CREATE_TABLE
    from tenants.context import with_org
    from tenants.services import org_create

    call_command("migrate_schemas", shared=True, verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute(CREATE_TABLE)
    org = org_create(slug="bench", name="Bench").org
    with with_org(org):
        secret = api_key_create(actor=CLI, name="bench", scopes=[]).secret
    connection.close()
    return secret


def enrol(port: int, secret: str, index: int) -> Any:
    from tests.support.authenticator import SoftAuthenticator

    # Counters stay at 0, like synced passkeys: forked clients share no counter state.
    authenticator = SoftAuthenticator(sign_count_step=0)
    client = Client(port, secret)
    user = {"id": f"bench-{index}", "name": f"bench-{index}@bench.test"}
    status, options = client.post("/webauthn/register/options", {"user": user})
    assert status == 200, options
    credential = authenticator.create(options, origin=f"http://{HOST}:{port}")
    status, body = client.post("/webauthn/register", {"credential": credential})
    assert status == 201, body
    return authenticator


def client_loop(
    port: int,
    secret: str,
    index: int,
    authenticator: Any,
    kind: str,
    start_at: float,
    seconds: float,
    out: Any,
) -> None:
    client = Client(port, secret)
    origin = f"http://{HOST}:{port}"
    user = {"user": {"id": f"bench-{index}"}}
    latencies: list[float] = []
    while time.time() < start_at:
        time.sleep(0.001)
    end = start_at + seconds
    while time.time() < end:
        began = time.perf_counter()
        if kind == "ceremony":
            status, options = client.post("/webauthn/authenticate/options", user)
            assert status == 200, options
            credential = authenticator.get(options, origin=origin)
            status, body = client.post("/webauthn/authenticate", {"credential": credential})
            assert status == 200, body
        else:
            assert client.post("/floor/options", {})[0] == 200
            assert client.post("/floor/verify", {})[0] == 200
        latencies.append(time.perf_counter() - began)
    out.put(latencies)


def run_slice(
    port: int, secret: str, authenticators: list[Any], clients: int, kind: str, seconds: float
) -> list[float]:
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    start_at = time.time() + 1.0
    procs = [
        ctx.Process(
            target=client_loop,
            args=(port, secret, i, authenticators[i], kind, start_at, seconds, queue),
        )
        for i in range(clients)
    ]
    for proc in procs:
        proc.start()
    samples: list[float] = []
    for _ in procs:
        samples += queue.get(timeout=seconds + 60)
    for proc in procs:
        proc.join()
    return samples


def run_level(
    port: int, secret: str, authenticators: list[Any], clients: int
) -> dict[str, dict[str, float]]:
    """Ceremony and floor at one concurrency, in alternating slices (order rotating)."""
    samples: dict[str, list[float]] = {"ceremony": [], "floor": []}
    seconds = DURATION / SLICES
    for i in range(SLICES):
        for kind in ("ceremony", "floor") if i % 2 == 0 else ("floor", "ceremony"):
            samples[kind] += run_slice(port, secret, authenticators, clients, kind, seconds)
    return {kind: _summary(found) for kind, found in samples.items()}


def _summary(samples: list[float]) -> dict[str, float]:
    quantiles = statistics.quantiles(samples, n=100)
    return {
        "per_second": len(samples) / DURATION,
        "p50": statistics.median(samples) * 1000,
        "p99": quantiles[98] * 1000,
        "count": len(samples),
    }


def bare_verify_loop(seconds: float = 3.0) -> float:
    """Ops/s of py_webauthn's verify_authentication_response alone, one core."""
    from webauthn import verify_authentication_response

    from tests.support.authenticator import SoftAuthenticator, b64url, cose_key

    auth = SoftAuthenticator()
    options = {
        "rp": {"id": HOST, "name": "b"},
        "user": {"id": b64url(b"u" * 16), "name": "u"},
        "challenge": b64url(b"c" * 32),
        "pubKeyCredParams": [{"alg": -7, "type": "public-key"}],
    }
    auth.create(options, origin="http://x")
    held = next(iter(auth.credentials.values()))
    public_key = cose_key(held.key, -7)
    signed = []
    for _ in range(300):  # sign first: only verification is timed
        challenge = os.urandom(32)
        signed.append(
            (
                challenge,
                auth.get({"challenge": b64url(challenge), "rpId": HOST}, origin=f"http://{HOST}"),
            )
        )
    count, began = 0, time.perf_counter()
    while time.perf_counter() - began < seconds:
        challenge, credential = signed[count % len(signed)]
        verify_authentication_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=HOST,
            expected_origin=f"http://{HOST}",
            credential_public_key=public_key,
            credential_current_sign_count=0,
        )
        count += 1
    return count / (time.perf_counter() - began)


def wait_ready(port: int, server: subprocess.Popen[bytes]) -> None:
    for _ in range(100):
        if server.poll() is not None:
            raise RuntimeError("gunicorn exited")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/healthz", headers={"Host": f"{HOST}:{port}"})
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError("gunicorn did not become ready")


def table(rows: list[tuple[str, int, dict[str, float]]]) -> str:
    lines = ["| what | clients | per second | p50 ms | p99 ms |", "| --- | --- | --- | --- | --- |"]
    for name, clients, r in rows:
        lines.append(
            f"| {name} | {clients} | {r['per_second']:.0f} | {r['p50']:.1f} | {r['p99']:.1f} |"
        )
    return "\n".join(lines)


def main() -> None:
    from benchmarks._db import scratch_database

    port = free_port()
    env_overrides = {
        "DJANGO_SETTINGS_MODULE": "benchmarks.settings",
        "PASSGATE_SECRET_KEY": "bench-secret-key-" + "x" * 32,
        "PASSGATE_HTTPS": "0",
        "PASSGATE_PUBLIC_PORT": str(port),
        "PASSGATE_RATE_PER_IP": "1000000/min",
        "PASSGATE_RATE_PER_KEY": "1000000/min",
        "PASSGATE_LOG_LEVEL": "WARNING",
        # Enrolment sends "passkey added" emails: keep them in memory, not on port 25.
        "PASSGATE_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    }
    os.environ.update(env_overrides)
    with scratch_database("passgate_bench"):
        secret = setup_org(port)
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "config.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(WORKERS),
                "--worker-class",
                WORKER_CLASS,
                "--threads",
                str(THREADS),
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=os.environ.copy(),
        )
        try:
            wait_ready(port, server)
            authenticators = [enrol(port, secret, i) for i in range(max(LEVELS))]
            levels = {c: run_level(port, secret, authenticators, c) for c in LEVELS}
            rows = [
                (name, clients, levels[clients][kind])
                for kind, name in (
                    ("ceremony", "passkey sign-in ceremony"),
                    ("floor", "framework floor (2 x INSERT)"),
                )
                for clients in LEVELS
            ]
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
    bare = bare_verify_loop()
    print(
        f"machine: {platform.node()}, {os.cpu_count()} cores, Python {sys.version.split()[0]}; "
        f"gunicorn {WORKERS} {WORKER_CLASS} workers x {THREADS} threads; "
        f"{DURATION:.0f} s per level and kind, in {SLICES} alternating slices"
    )
    print(table(rows))
    print(f"bare py_webauthn verify loop (one core): {bare:.0f} verifications/s")
    by = {(n, c): r for n, c, r in rows}
    for clients in LEVELS:
        ratio = (
            by[("passkey sign-in ceremony", clients)]["per_second"]
            / by[("framework floor (2 x INSERT)", clients)]["per_second"]
        )
        print(f"ceremonies vs framework floor at {clients} clients: {ratio * 100:.0f}%")


if __name__ == "__main__":
    main()
