"""manage.py create_oidc_client: the contract's CLI line, over the same client service."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from auth_methods.models import AuditEvent
from oidc.models import Client
from tenants.context import with_org
from tenants.models import Organisation

pytestmark = pytest.mark.django_db


def run(*args: str) -> list[str]:
    out = StringIO()
    call_command("create_oidc_client", *args, stdout=out)
    return out.getvalue().splitlines()


def test_a_confidential_client_prints_its_id_and_secret_once(acme: Organisation) -> None:
    lines = run(
        "acme",
        "--name",
        "Shop",
        "--redirect-uri",
        "https://shop.example/cb",
        "--redirect-uri",
        "https://shop.example/cb2",
    )
    assert [line.split("=", 1)[0] for line in lines] == ["client_id", "client_secret"]
    client_id, secret = (line.split("=", 1)[1] for line in lines)
    with with_org(acme):
        client = Client.objects.get(client_id=client_id)
        assert client.redirect_uris == ["https://shop.example/cb", "https://shop.example/cb2"]
        assert client.check_client_secret(secret) and secret not in client.secret_digest
        assert AuditEvent.objects.get(action="oidc_client.create").actor_label == "cli"


def test_a_public_client_prints_no_secret(acme: Organisation) -> None:
    lines = run("acme", "--name", "SPA", "--redirect-uri", "http://localhost:5173/cb", "--public")
    assert len(lines) == 1 and lines[0].startswith("client_id=")


def test_bad_input_is_a_command_error_and_makes_nothing(acme: Organisation) -> None:
    with pytest.raises(CommandError, match="redirect_uris"):
        run("acme", "--name", "X", "--redirect-uri", "http://evil.example/cb")
    with pytest.raises(CommandError, match="No organisation"):
        run("nope", "--name", "X", "--redirect-uri", "https://x.example/cb")
    with with_org(acme):
        assert not Client.objects.exists()
