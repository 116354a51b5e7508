"""Schemathesis over every operation of the served OpenAPI schema, with all of its checks.

The engine (what ``schemathesis run`` drives) sends its requests from worker threads, each on a
database connection of its own, so the server under test is a WSGI server thread in this process
and its organisation is committed (and dropped afterwards), as in the browser tests. (The
engine's in-process WSGI transport is not used: in 4.32.5 its unauthenticated probes pass
``max_redirects`` on to werkzeug, a TypeError for every operation with a key.)
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.servers.basehttp import WSGIRequestHandler, WSGIServer
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, connections
from django.test import Client
from schemathesis.engine import events, from_schema

from api.throttling import PerIpThrottle, PerKeyThrottle
from auth_methods.api_keys import api_key_create
from auth_methods.audit import CLI
from tenants.context import use_public_schema, with_org
from tenants.models import Organisation
from tenants.services import org_create, org_delete

# Marked so that pytest-django sets up the test database; the org below is committed before
# the test's own transaction opens (module scope), which it never uses.
pytestmark = pytest.mark.django_db


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


@pytest.fixture(scope="module")
def fuzz_org(django_db_setup: None, django_db_blocker: Any) -> Iterator[tuple[Organisation, str]]:
    with django_db_blocker.unblock():
        stale = Organisation.objects.filter(slug="fuzz").first()
        if stale is not None:
            org_delete(stale)
        org = org_create(slug="fuzz", name="Fuzz").org
        with with_org(org):
            secret = api_key_create(actor=CLI, name="schemathesis", scopes=["admin"]).secret
        use_public_schema()
    try:
        yield org, secret
    finally:
        with django_db_blocker.unblock():
            org_delete(org)


@pytest.fixture(scope="module")
def server(fuzz_org: Any) -> Iterator[str]:
    # One server thread that keeps its database connection: a connection per request would
    # cost more than the request itself.
    httpd = WSGIServer(("127.0.0.1", 0), QuietHandler, allow_reuse_address=False)
    httpd.set_app(get_wsgi_application())
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    thread = threading.Thread(target=_serve, args=(httpd,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        thread.join(timeout=10)
        httpd.server_close()
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _serve(httpd: WSGIServer) -> None:
    try:
        httpd.serve_forever()
    finally:
        connections.close_all()  # this thread's connection: the test database must be droppable


@pytest.fixture(autouse=True)
def _quiet(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("ERROR", logger="django.request")


# Where a schema-valid body can still be refused for what no schema can state, the 400 that the
# contract gives is accepted too; every other check stays as schemathesis ships it.
DATA_DEPENDENT_400 = {
    # A ceremony response must carry a signature over a challenge this server issued.
    "webauthn_register": "the credential must verify against an issued challenge",
    "webauthn_authenticate": "the assertion must verify against an issued challenge",
    # user.name is unique in the org: the same name under another id is refused.
    "webauthn_register_options": "user.name may already belong to another id",
    # rp_id must cover the org's host, origins must be https or *.localhost, and some fields
    # need others (require_trusted_attestation needs direct attestation, ...).
    "auth_settings_update": "values are checked against the org and against each other",
    "auth_settings_preview": "the same checks as the PATCH it previews",
}


def _config(server: str, org: Organisation, secret: str) -> schemathesis.Config:
    accepted = ["2xx", "400", "401", "403", "404", "409"]
    return schemathesis.Config.from_dict(
        {
            "seed": 20261204,
            "workers": 1,
            "base-url": server,
            # No NUL in generated strings: the contract refuses them (tests/api/test_input_guards)
            "generation": {"max-examples": 5, "allow-x00": False},
            # The API declares no links between operations: nothing for the stateful phase.
            "phases": {"stateful": {"enabled": False}, "coverage": {"unexpected-methods": ["PUT"]}},
            "checks": {"enabled": True},
            "headers": {"Host": f"{org.slug}.localhost", "Authorization": f"Bearer {secret}"},
            "operations": [
                {
                    "include-operation-id": operation_id,
                    "checks": {"positive_data_acceptance": {"expected-statuses": accepted}},
                }
                for operation_id in DATA_DEPENDENT_400
            ],
        }
    )


def _run(schema: Any) -> tuple[set[str], list[str]]:
    """The operations the engine tested, and every failure or error it reported."""
    tested: set[str] = set()
    found: list[str] = []
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            tested.add(event.recorder.label)
            found += _failures(event.recorder)
        elif isinstance(event, events.NonFatalError | events.FatalError):
            found.append(repr(event))
    return tested, list(dict.fromkeys(found))


def _failures(recorder: Any) -> Iterator[str]:
    for case_id, checks in recorder.checks.items():
        interaction = recorder.interactions.get(case_id)
        answer = interaction.response.content[:300] if interaction and interaction.response else b""
        for check in checks:
            if check.failure_info is not None:
                yield (
                    f"{recorder.label}: {check.name}: {check.failure_info.failure.title}\n"
                    f"{check.failure_info.code_sample}\n{answer!r}"
                )


def test_every_operation_meets_its_schema(
    fuzz_org: tuple[Organisation, str],
    server: str,
    django_db_blocker: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The engine sends more in a minute than the per-IP and per-key budgets allow; a 429 would
    # fail every check after it. The limits have their own tests (tests/api/test_transport.py).
    unlimited = {"ip": "1000000/min", "key": "1000000/min"}
    for throttle in (PerIpThrottle, PerKeyThrottle):
        monkeypatch.setattr(throttle, "THROTTLE_RATES", unlimited)
    org, secret = fuzz_org
    with django_db_blocker.unblock():
        raw = (
            Client(HTTP_HOST="localhost").get("/api/schema", HTTP_ACCEPT="application/json").json()
        )
        schema = schemathesis.openapi.from_dict(raw, config=_config(server, org, secret))
        tested, found = _run(schema)
    operations = {
        f"{method.upper()} {path}" for path, ops in raw["paths"].items() for method in ops
    }
    assert tested >= operations
    assert found == [], "\n\n".join(found)
