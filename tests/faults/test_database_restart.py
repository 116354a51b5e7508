"""PostgreSQL restarts under load: no acknowledged write is lost, liveness answers all
along, and the first request after the restart succeeds (stale pooled connections are
checked and replaced, not handed out)."""

from __future__ import annotations

import threading
import time

from tests.faults.conftest import Stack, StartServer
from tests.faults.services import Http, wait_until
from tests.support.authenticator import SoftAuthenticator


def _register(http: Http, user_id: str) -> int:
    status, options = http.call(
        "POST",
        "/webauthn/register/options",
        {"user": {"id": user_id, "name": f"{user_id}@acme.test", "display_name": user_id}},
    )
    if status != 200:
        return status
    credential = SoftAuthenticator().create(options, origin=f"http://acme.localhost:{http.port}")
    return http.call("POST", "/webauthn/register", {"credential": credential, "label": "k"})[0]


def test_a_database_restart_loses_no_acknowledged_write(
    stack: Stack, start_server: StartServer
) -> None:
    _, http = start_server(PASSGATE_DB_POOL_MAX="4", PASSGATE_DB_POOL_TIMEOUT="2")
    probes: list[tuple[int, float]] = []
    stop = threading.Event()

    def probe() -> None:
        while not stop.is_set():
            started = time.monotonic()
            try:
                # A kubelet-like probe: 3 s to answer (the pool alone may wait 2 s).
                status = http.call("GET", "/healthz", timeout=3)[0]
            except OSError:
                status = 0
            probes.append((status, time.monotonic() - started))
            time.sleep(0.05)

    prober = threading.Thread(target=probe)
    prober.start()
    acknowledged: list[str] = []
    refused: list[int] = []
    try:
        for n in range(8):
            if _register(http, f"before-{n}") == 201:
                acknowledged.append(f"before-{n}")

        def restart_database() -> None:
            stack.pg.stop()
            time.sleep(1)
            stack.pg.start()

        restart = threading.Thread(target=restart_database)
        restart.start()
        deadline = time.monotonic() + 30
        n = 0
        while restart.is_alive() and time.monotonic() < deadline:
            status = _register(http, f"during-{n}")
            if status == 201:
                acknowledged.append(f"during-{n}")
            else:
                refused.append(status)
            n += 1
        restart.join()
        assert n >= 1  # requests really were made while the database went away
        wait_until("postgres", stack.pg.is_ready)
        # The first request after the restart succeeds.
        assert _register(http, "after-0") == 201
        acknowledged.append("after-0")
    finally:
        stop.set()
        prober.join()

    # Failures during the outage were clean refusals (problem 503), never a hang or an HTML 500.
    assert set(refused) <= {503}, refused
    for user_id in acknowledged:
        status, body = http.call("GET", f"/api/v1/users/{user_id}")
        assert status == 200, (user_id, body)
        assert body["user"]["passkey_count"] == 1, (user_id, body)
    assert probes and all(status == 200 for status, _ in probes), probes
    assert max(elapsed for _, elapsed in probes) < 3
