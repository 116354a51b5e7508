from __future__ import annotations

import pytest
from django.db import DatabaseError, connection
from django.test import Client

from tenants import health

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "acme.localhost"])
def test_healthz_answers_on_platform_and_org_hosts(host: str, orgs: object) -> None:
    response = Client(HTTP_HOST=host).get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_is_ready_when_migrated(orgs: object) -> None:
    response = Client(HTTP_HOST="localhost").get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready"}


def test_readyz_reports_pending_migrations(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(health, "_migrated", False)
    monkeypatch.setattr(health, "_pending_migrations", lambda: 3)
    response = Client(HTTP_HOST="localhost").get("/readyz")
    assert response.status_code == 503
    assert "3 migrations" in response.json()["detail"]


def test_readyz_reports_an_unreachable_database(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise DatabaseError("down")

    monkeypatch.setattr(connection, "cursor", broken)
    response = Client(HTTP_HOST="localhost").get("/readyz")
    assert response.status_code == 503
    assert response.json()["status"] == "unready"
