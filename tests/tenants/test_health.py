from __future__ import annotations

import pytest
from django.db import DatabaseError, connection
from django.test import Client, override_settings

from tenants import health

pytestmark = pytest.mark.django_db

HOSTS = ["localhost", "127.0.0.1", "acme.localhost", "10.1.2.3:8000"]


@pytest.mark.parametrize("host", HOSTS)
def test_healthz_answers_on_every_host(host: str, orgs: object) -> None:
    response = Client(HTTP_HOST=host).get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_healthz_touches_no_dependency(orgs: object, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise AssertionError("liveness touched the database")

    monkeypatch.setattr(connection, "cursor", broken)
    for host in HOSTS:
        assert Client(HTTP_HOST=host).get("/healthz").status_code == 200


@pytest.mark.parametrize("host", HOSTS)
def test_readyz_names_each_dependency_on_every_host(host: str, orgs: object) -> None:
    response = Client(HTTP_HOST=host).get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready"
    assert body["checks"] == {"database": "ok", "cache": "ok", "broker": "ok"}


def test_readyz_reports_pending_migrations(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(health, "_migrated", False)
    monkeypatch.setattr(health, "_pending_migrations", lambda: 3)
    response = Client(HTTP_HOST="localhost").get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == "3 migrations not applied"


def test_readyz_reports_an_unreachable_database_as_a_problem(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise DatabaseError("down")

    monkeypatch.setattr(connection, "cursor", broken)
    response = Client(HTTP_HOST="acme.localhost").get("/readyz")
    assert response.status_code == 503
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert (body["status"], body["code"]) == (503, "service_unavailable")
    assert body["checks"] == {"database": "down (DatabaseError)", "cache": "ok", "broker": "ok"}


@override_settings(CELERY_BROKER_URL="redis://127.0.0.1:1/0")
def test_readyz_reports_an_unreachable_broker(orgs: object) -> None:
    response = Client(HTTP_HOST="localhost").get("/readyz")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["database"] == "ok" and checks["broker"].startswith("down")


@override_settings(CELERY_BROKER_URL="redis://127.0.0.1:1/0")
def test_readyz_can_be_asked_for_the_database_only(orgs: object) -> None:
    response = Client(HTTP_HOST="localhost").get("/readyz?checks=database")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok"}
    assert Client(HTTP_HOST="localhost").get("/readyz?checks=disk").status_code == 400


def test_the_pending_migrations_check_does_not_list_every_table() -> None:
    """Listing the tables visible on the search path scans all of pg_class, every
    organisation's tables included: ~0.5 s per probe at 2,000 organisations."""
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert health._pending_migrations() == 0
    scans = [q["sql"] for q in queries if "relkind" in q["sql"]]
    assert scans == []
    assert any("to_regclass" in q["sql"] for q in queries)
