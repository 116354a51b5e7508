from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import caches
from django.db import connections
from django.test import Client

from auth_methods.tokens import _KEY_CACHE
from tenants.context import use_public_schema, with_org
from tenants.models import Organisation
from tenants.services import org_create


@pytest.fixture(scope="session")
def orgs(django_db_setup: None, django_db_blocker: Any) -> dict[str, Organisation]:
    """Two organisations made once per test session (schemas are slow to create)."""
    with django_db_blocker.unblock():
        made = {}
        for slug, name in (("acme", "Acme Corp"), ("globex", "Globex")):
            found = Organisation.objects.filter(slug=slug).first()
            made[slug] = found or org_create(slug=slug, name=name).org
        use_public_schema()
    return made


@pytest.fixture
def acme(orgs: dict[str, Organisation], db: None) -> Organisation:
    return orgs["acme"]


@pytest.fixture
def globex(orgs: dict[str, Organisation], db: None) -> Organisation:
    return orgs["globex"]


@pytest.fixture
def in_acme(acme: Organisation) -> Iterator[Organisation]:
    with with_org(acme):
        yield acme


@pytest.fixture(autouse=True)
def _fresh_routing_and_schema() -> Iterator[None]:
    caches["routing"].clear()
    caches["default"].clear()  # throttle counters: every test starts with a fresh budget
    _KEY_CACHE.clear()  # signing keys cached per process outlive each test's rolled-back rows
    yield
    use_public_schema()


def org_client(org: Organisation, **defaults: Any) -> Client:
    return Client(HTTP_HOST=f"{org.slug}.localhost", **defaults)


@pytest.fixture
def acme_client(acme: Organisation) -> Client:
    return org_client(acme)


@pytest.fixture
def globex_client(globex: Organisation) -> Client:
    return org_client(globex)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    if nextitem is None:  # the session's fixtures, the test database among them, go next
        # A connection still open here would keep the test database from being dropped
        # (seen in whole-suite runs, after the browser tests).
        connections.close_all()
