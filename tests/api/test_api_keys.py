"""API keys: created by the CLI and shown once, stored as a digest, refused when revoked."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from rest_framework.test import APIClient

from auth_methods.api_keys import api_key_revoke
from auth_methods.audit import CLI
from auth_methods.models import ApiKey
from tenants.context import with_org
from tenants.models import Organisation
from tests.support.db import assert_problem, snapshot

pytestmark = pytest.mark.django_db

ADMIN_URL = "/api/v1/auth-settings"


def create_key(*args: str) -> tuple[str, list[str]]:
    """Run create_api_key; the key (last stdout line) and all the lines."""
    out = io.StringIO()
    call_command("create_api_key", *args, stdout=out)
    lines = out.getvalue().splitlines()
    return lines[-1], lines


def client_for(org: Organisation, secret: str | None) -> APIClient:
    client = APIClient(HTTP_HOST=f"{org.slug}.localhost")
    if secret is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def key_row(org: Organisation, secret: str) -> ApiKey:
    with with_org(org):
        return ApiKey.objects.get(lookup=secret.split("_")[1])


def key_count(org: Organisation) -> int:
    with with_org(org):
        return ApiKey.objects.count()


def register_options(client: APIClient) -> Any:
    return client.post(
        "/webauthn/register/options",
        {"user": {"id": "u1", "name": "alice@acme.test"}},
        format="json",
    )


def test_the_cli_prints_a_working_admin_key_as_the_last_line(acme: Organisation) -> None:
    secret, lines = create_key("acme", "--name", "ci", "--scope", "admin")
    assert len(lines) >= 2 and "shown once" in lines[0]
    assert secret.startswith("pgk_") and " " not in secret
    response = client_for(acme, secret).get(ADMIN_URL)
    assert response.status_code == 200, response.content
    row = key_row(acme, secret)
    assert row.name == "ci" and row.scopes == ["admin"] and row.revoked_at is None


def test_a_key_without_scope_runs_ceremonies_but_not_admin_calls(acme: Organisation) -> None:
    secret, lines = create_key("acme", "--name", "web")
    assert "ceremonies only" in lines[0]
    client = client_for(acme, secret)
    assert register_options(client).status_code == 200
    before = snapshot(acme)
    assert_problem(client.get(ADMIN_URL), 403, "forbidden")
    assert_problem(client.patch(ADMIN_URL, {"mfa_required": True}, format="json"), 403, "forbidden")
    assert snapshot(acme) == before


def test_the_stored_row_holds_no_plaintext(acme: Organisation) -> None:
    secret, _ = create_key("acme", "--name", "ci", "--scope", "admin")
    random_part = secret.split("_", 2)[2]
    row = key_row(acme, secret)
    assert row.digest != secret and len(row.digest) == 64
    with with_org(acme):
        values = ApiKey.objects.filter(pk=row.pk).values().get()
    for column, value in values.items():
        assert secret not in str(value), column
        assert random_part not in str(value), column


def test_each_key_is_different(acme: Organisation) -> None:
    first, _ = create_key("acme", "--name", "a")
    second, _ = create_key("acme", "--name", "a")
    assert first != second
    assert key_row(acme, first).digest != key_row(acme, second).digest


def test_a_revoked_key_is_unauthenticated(acme: Organisation) -> None:
    secret, _ = create_key("acme", "--name", "ci", "--scope", "admin")
    client = client_for(acme, secret)
    assert client.get(ADMIN_URL).status_code == 200  # used once: the key row is now cached
    with with_org(acme):
        api_key_revoke(actor=CLI, key=ApiKey.objects.get(lookup=secret.split("_")[1]))
    before = snapshot(acme)
    assert_problem(client.get(ADMIN_URL), 401, "unauthenticated")
    assert_problem(register_options(client), 401, "unauthenticated")
    assert snapshot(acme) == before
    assert key_row(acme, secret).revoked_at is not None


def test_revoking_one_key_leaves_the_others_working(acme: Organisation) -> None:
    revoked, _ = create_key("acme", "--name", "old", "--scope", "admin")
    kept, _ = create_key("acme", "--name", "new", "--scope", "admin")
    with with_org(acme):
        api_key_revoke(actor=CLI, key=ApiKey.objects.get(lookup=revoked.split("_")[1]))
    assert client_for(acme, kept).get(ADMIN_URL).status_code == 200


def test_the_cli_refuses_an_unknown_org(acme: Organisation) -> None:
    before = key_count(acme)
    with pytest.raises(CommandError, match="nowhere"):
        create_key("nowhere", "--name", "ci")
    assert key_count(acme) == before


def test_the_cli_refuses_an_unknown_scope(acme: Organisation) -> None:
    before = key_count(acme)
    with pytest.raises(CommandError, match="invalid choice"):
        create_key("acme", "--name", "ci", "--scope", "root")
    assert key_count(acme) == before


@pytest.mark.parametrize("name", ["", "   ", "x" * 101], ids=["empty", "blank", "too-long"])
def test_the_cli_refuses_a_bad_name(acme: Organisation, name: str) -> None:
    before = key_count(acme)
    with pytest.raises(CommandError, match="name"):
        create_key("acme", "--name", name)
    assert key_count(acme) == before


def test_the_cli_needs_a_name(acme: Organisation) -> None:
    with pytest.raises(CommandError, match="--name"):
        create_key("acme")


@pytest.mark.parametrize(
    "header",
    [
        "Bearer garbage",
        "Bearer ",
        "Bearer",
        "Bearer pgk_",
        "Bearer pgk_000000000000_" + "A" * 43,
        "Bearer xyz_000000000000_" + "A" * 43,
        "Basic dXNlcjpwYXNz",
    ],
    ids=["garbage", "empty", "no-space", "prefix-only", "unknown-lookup", "bad-prefix", "basic"],
)
def test_it_refuses_a_garbage_authorization(acme: Organisation, header: str) -> None:
    create_key("acme", "--name", "ci", "--scope", "admin")
    before = snapshot(acme)
    client = APIClient(HTTP_HOST="acme.localhost", HTTP_AUTHORIZATION=header)
    assert_problem(client.get(ADMIN_URL), 401, "unauthenticated")
    assert_problem(register_options(client), 401, "unauthenticated")
    assert snapshot(acme) == before


def test_a_right_lookup_with_a_wrong_secret_is_refused(acme: Organisation) -> None:
    secret, _ = create_key("acme", "--name", "ci", "--scope", "admin")
    prefix, lookup, random_part = secret.split("_", 2)
    forged = f"{prefix}_{lookup}_{'A' * len(random_part)}"
    assert client_for(acme, secret).get(ADMIN_URL).status_code == 200  # cached row
    assert_problem(client_for(acme, forged).get(ADMIN_URL), 401, "unauthenticated")
    assert_problem(client_for(acme, secret + "x").get(ADMIN_URL), 401, "unauthenticated")
    assert key_row(acme, secret).last_used_at is not None


def test_a_key_is_refused_on_another_orgs_host(acme: Organisation, globex: Organisation) -> None:
    secret, _ = create_key("acme", "--name", "ci", "--scope", "admin")
    assert client_for(acme, secret).get(ADMIN_URL).status_code == 200  # cached for acme
    before = snapshot(globex)
    assert_problem(client_for(globex, secret).get(ADMIN_URL), 401, "unauthenticated")
    assert_problem(register_options(client_for(globex, secret)), 401, "unauthenticated")
    assert snapshot(globex) == before


def test_last_used_at_is_set_when_the_key_is_used(acme: Organisation) -> None:
    secret, _ = create_key("acme", "--name", "ci", "--scope", "admin")
    assert key_row(acme, secret).last_used_at is None
    started = timezone.now()
    assert client_for(acme, secret).get(ADMIN_URL).status_code == 200
    used = key_row(acme, secret).last_used_at
    assert used is not None and started <= used <= timezone.now()


def test_last_used_at_is_refreshed_after_a_while(acme: Organisation) -> None:
    secret, _ = create_key("acme", "--name", "ci", "--scope", "admin")
    long_ago = timezone.now() - timedelta(hours=1)
    with with_org(acme):
        ApiKey.objects.filter(lookup=secret.split("_")[1]).update(last_used_at=long_ago)
    assert client_for(acme, secret).get(ADMIN_URL).status_code == 200
    used = key_row(acme, secret).last_used_at
    assert used is not None and used > long_ago + timedelta(minutes=59)
