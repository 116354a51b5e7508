"""A database that fails or stalls ends a request as a 503 problem, never an HTML 500."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.db import OperationalError
from django.db.backends.utils import CursorWrapper
from django.test import Client

from config.metrics import DATABASE_ERRORS
from tenants import middleware
from tenants.models import Organisation
from tests.api.conftest import make_api

pytestmark = pytest.mark.django_db


def _count(kind: str) -> float:
    return DATABASE_ERRORS.labels(kind)._value.get()  # type: ignore[no-any-return]


def _assert_unavailable(response: Any) -> None:
    assert response.status_code == 503
    assert response["Content-Type"] == "application/problem+json"
    assert response["Retry-After"] == "5"
    body = response.json()
    assert (body["status"], body["code"]) == (503, "service_unavailable")
    assert body["request_id"] == response["X-Request-ID"]


def test_routing_that_cannot_reach_the_database_answers_503(
    orgs: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    def down(*args: object, **kwargs: object) -> None:
        raise OperationalError("couldn't get a connection after 3.00 sec")

    monkeypatch.setattr(middleware, "org_for_host", down)
    before = _count("OperationalError")
    client = Client(HTTP_HOST="acme.localhost", raise_request_exception=False)
    response = client.get("/login", HTTP_ACCEPT="text/html")
    _assert_unavailable(response)
    assert _count("OperationalError") == before + 1
    # Liveness still answers, on the same host.
    assert Client(HTTP_HOST="acme.localhost").get("/healthz").status_code == 200


def test_a_statement_timeout_in_a_view_answers_503(
    acme: Organisation, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = make_api(acme, ["admin"])
    api.client.raise_request_exception = False

    def stalled(self: CursorWrapper, sql: str, params: Any = None) -> Any:
        raise OperationalError("canceling statement due to statement timeout")

    monkeypatch.setattr(CursorWrapper, "execute", stalled)
    _assert_unavailable(api.post("/webauthn/authenticate/options", {}))


def test_the_connections_carry_statement_and_lock_timeouts(orgs: object) -> None:
    from django.db import connection

    # tests/settings.py relaxes the limits for the suite's own DDL; production defaults
    # (15 s, 5 s) run in the fault tests' servers.
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        statement = cursor.fetchone()[0]
        cursor.execute("SHOW lock_timeout")
        lock = cursor.fetchone()[0]
    assert (statement, lock) == ("0", "2min")


def test_the_production_defaults_bound_every_database_wait() -> None:
    import subprocess
    import sys

    code = (
        "import config.settings as s; o = s.DATABASES['default']['OPTIONS'];"
        "print(o['options'], o['connect_timeout'], s.DATABASES['default']['CONN_HEALTH_CHECKS'])"
    )
    env = {"PASSGATE_DEBUG": "1", "PATH": "/usr/bin:/bin", "PASSGATE_DB_POOL_MAX": "10"}
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.split() == [
        "-c",
        "statement_timeout=15000",
        "-c",
        "lock_timeout=5000",
        "3",
        "True",
    ]
