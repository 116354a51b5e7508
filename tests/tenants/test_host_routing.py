from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tenants.models import Domain, Organisation
from tenants.selectors import org_for_host

pytestmark = pytest.mark.django_db


def test_each_org_host_is_routed_to_its_own_schema(
    acme: Organisation, globex: Organisation
) -> None:
    for org in (acme, globex):
        response = Client(HTTP_HOST=f"{org.slug}.localhost").get("/login")
        assert response.status_code == 200
        assert response.wsgi_request.tenant.schema_name == org.schema_name  # type: ignore[attr-defined]


def test_an_unknown_host_gets_a_problem_404(acme: Organisation) -> None:
    # (Probes are the exception: /healthz and /readyz answer on any host, see test_health.)
    response = Client(HTTP_HOST="nobody.localhost").get("/login")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "not_found"


def test_an_unknown_host_never_gets_the_platform_site(acme: Organisation) -> None:
    assert Client(HTTP_HOST="nobody.localhost").get("/admin/").status_code == 404
    assert Client(HTTP_HOST="localhost").get("/admin/login/").status_code == 200


def test_org_hosts_do_not_serve_the_platform_admin(acme: Organisation) -> None:
    assert Client(HTTP_HOST="acme.localhost").get("/admin/login/").status_code == 404


def test_the_port_is_ignored_when_routing(acme: Organisation) -> None:
    assert Client(HTTP_HOST="acme.localhost:8000").get("/login").status_code == 200


def test_a_host_lookup_is_cached(acme: Organisation) -> None:
    assert org_for_host("acme.localhost", ttl=60) == acme
    with CaptureQueriesContext(connection) as queries:
        assert org_for_host("acme.localhost", ttl=60) == acme
        response = Client(HTTP_HOST="acme.localhost").get("/nothing-here")
    assert response.json()["detail"] == "Nothing is served at /nothing-here."  # routed to acme
    assert len(queries) == 0


def test_the_cache_forgets_a_host_when_its_domain_changes(acme: Organisation) -> None:
    assert org_for_host("alias.example.com", ttl=60) is None
    domain = Domain.objects.create(domain="alias.example.com", tenant=acme, is_primary=False)
    assert org_for_host("alias.example.com", ttl=60) == acme
    domain.delete()
    assert org_for_host("alias.example.com", ttl=60) is None
    assert Client(HTTP_HOST="alias.example.com").get("/login").status_code == 404
