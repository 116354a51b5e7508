"""Platform staff create organisations in the Django admin through the CLI's service."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client

from auth_methods.models import User
from tenants.models import Domain, Organisation

pytestmark = pytest.mark.django_db

ADD = "/admin/tenants/organisation/add/"


@pytest.fixture
def staff(orgs: object) -> Client:
    admin = User.objects.create_superuser("root@platform.test", password="pw-123456789")
    client = Client(HTTP_HOST="localhost")
    client.force_login(admin)
    return client


def _schema_exists(name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [name])
        return cursor.fetchone() is not None


def test_the_admin_creates_an_org_with_its_schema_and_hosts(staff: Client) -> None:
    response = staff.post(ADD, {"slug": "wile-e", "name": "Wile E", "domains": "wile.example.com"})
    assert response.status_code == 302, response.content.decode()[:2000]
    org = Organisation.objects.get(slug="wile-e")
    assert org.schema_name == "org_wile_e" and _schema_exists("org_wile_e")
    hosts = set(Domain.objects.filter(tenant=org).values_list("domain", "is_primary"))
    assert hosts == {("wile-e.localhost", True), ("wile.example.com", False)}
    with connection.cursor() as cursor:  # migrated: the org's own tables are there
        cursor.execute(
            "SELECT 1 FROM information_schema.tables WHERE table_schema = %s"
            " AND table_name = 'auth_methods_authsettings'",
            ["org_wile_e"],
        )
        assert cursor.fetchone() is not None
    assert Client(HTTP_HOST="wile-e.localhost").get("/healthz").status_code == 200


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"slug": "admin", "name": "X"}, "reserved"),
        ({"slug": "acme", "name": "X"}, "already exists"),
        ({"slug": "new-one", "name": "X", "domains": "acme.localhost"}, "already used"),
        ({"slug": "new-one", "name": "X", "domains": "localhost"}, "belongs to the platform"),
        ({"slug": "Bad_Slug", "name": "X"}, ""),
    ],
)
def test_the_admin_refuses_bad_input_and_creates_nothing(
    staff: Client, data: dict[str, str], message: str
) -> None:
    before = set(Organisation.objects.values_list("slug", flat=True))
    response = staff.post(ADD, data)
    assert response.status_code == 200  # the form again, with the error
    assert message in response.content.decode()
    assert set(Organisation.objects.values_list("slug", flat=True)) == before
    assert not _schema_exists("org_new_one") and not _schema_exists("org_bad_slug")


def test_the_change_form_keeps_the_slug_read_only(staff: Client, acme: Organisation) -> None:
    response = staff.get(f"/admin/tenants/organisation/{acme.pk}/change/")
    assert response.status_code == 200
    assert 'name="slug"' not in response.content.decode()
