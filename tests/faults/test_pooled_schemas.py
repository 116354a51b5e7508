"""Two organisations served by the same few pooled connections, concurrently: every write
lands in the organisation the host names and every read sees only that organisation, while
connections keep moving between the two schemas (the search path each session holds is
remembered and reused: tenants/postgresql_backend/base.py)."""

from __future__ import annotations

import threading

from tests.faults.conftest import Stack, StartServer
from tests.faults.services import Http, app_env, manage
from tests.support.authenticator import SoftAuthenticator


def _second_org(stack: Stack) -> str:
    env = app_env(stack.pg, PASSGATE_DB_POOL_MAX="0")
    manage(env, "create_org", "initech", "--name", "Initech")
    out = manage(env, "create_api_key", "initech", "--name", "pooled", "--scope", "admin")
    return out.strip().splitlines()[-1]


def _register(http: Http, user_id: str) -> int:
    status, options = http.call(
        "POST", "/webauthn/register/options", {"user": {"id": user_id, "name": user_id}}
    )
    if status != 200:
        return status
    origin = f"http://{http.host}:{http.port}"
    credential = SoftAuthenticator().create(options, origin=origin)
    return http.call("POST", "/webauthn/register", {"credential": credential})[0]


def test_pooled_connections_never_carry_one_org_into_another(
    stack: Stack, start_server: StartServer
) -> None:
    initech_key = _second_org(stack)
    # Two connections per worker for eight threads: each connection serves both orgs in turn.
    _, acme = start_server(PASSGATE_DB_POOL_MAX="2")
    initech = Http(acme.port, "initech.localhost", initech_key)
    hosts = {"acme": acme, "initech": initech}
    failures: list[tuple[str, str, int]] = []

    def client(number: int) -> None:
        for step in range(8):
            own, other = ("acme", "initech") if (number + step) % 2 else ("initech", "acme")
            user = f"{own}-{number}-{step}"
            status = _register(hosts[own], user)
            if status != 201:
                failures.append(("register", user, status))
                continue
            status, body = hosts[own].call("GET", f"/api/v1/users/{user}")
            if status != 200 or body["user"]["passkey_count"] != 1:
                failures.append(("read own", user, status))
            status, _ = hosts[other].call("GET", f"/api/v1/users/{user}")
            if status != 404:
                failures.append(("read other", user, status))

    threads = [threading.Thread(target=client, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert failures == []
