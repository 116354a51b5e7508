from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from tenants.models import Domain, Organisation

pytestmark = pytest.mark.django_db


def schema_exists(name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [name])
        return cursor.fetchone() is not None


def assert_nothing_left(slug: str, hosts: list[str]) -> None:
    assert not Organisation.objects.filter(slug=slug).exists()
    assert not schema_exists("org_" + slug.replace("-", "_"))
    assert not Domain.objects.filter(domain__in=hosts).exists()


def test_it_creates_an_org_with_schema_and_hosts(orgs: object) -> None:
    out = StringIO()
    call_command(
        "create_org",
        "road-runner",
        "--name",
        "Road Runner",
        "--domain",
        "rr.example.com",
        stdout=out,
    )
    assert out.getvalue().strip() == "http://road-runner.localhost"
    org = Organisation.objects.get(slug="road-runner")
    assert org.schema_name == "org_road_runner"
    assert schema_exists("org_road_runner")
    hosts = dict(Domain.objects.filter(tenant=org).values_list("domain", "is_primary"))
    assert hosts == {"road-runner.localhost": True, "rr.example.com": False}


@pytest.mark.parametrize(
    ("slug", "extra", "message"),
    [
        ("acme", [], "already exists"),
        ("Bad_Slug", [], "Invalid slug"),
        ("9lives", [], "Invalid slug"),
        ("a", [], "Invalid slug"),
        ("double--hyphen", [], "Invalid slug"),
        ("admin", [], "reserved"),
        ("newco", ["--domain", "not a host"], "Invalid hostname"),
        ("newco", ["--domain", "Upper.Example.com"], "already used"),
        ("newco", ["--domain", "acme.localhost"], "already used"),
        ("newco", ["--domain", "localhost"], "belongs to the platform"),
        ("newco", ["--domain", "10.0.0.1"], "Invalid hostname"),
        ("newco", ["--domain", "host.example.com:8000"], "Invalid hostname"),
    ],
)
def test_it_refuses_bad_input_and_leaves_nothing(
    orgs: object, slug: str, extra: list[str], message: str
) -> None:
    if "Upper.Example.com" in extra:
        call_command(
            "create_org",
            "other",
            "--name",
            "Other",
            "--domain",
            "upper.example.com",
            stdout=StringIO(),
        )
    orgs_before = Organisation.objects.count()
    with pytest.raises(CommandError, match=message):
        call_command("create_org", slug, "--name", "New Co", *extra, stdout=StringIO())
    assert Organisation.objects.count() == orgs_before
    if slug != "acme":
        assert_nothing_left(slug, [f"{slug}.localhost"])


def test_it_refuses_an_empty_name(orgs: object) -> None:
    with pytest.raises(CommandError, match="name"):
        call_command("create_org", "noname", "--name", "  ", stdout=StringIO())
    assert_nothing_left("noname", ["noname.localhost"])
