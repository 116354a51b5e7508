from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from auth_methods.models import User
from tenants.context import with_org
from tenants.models import Organisation

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("create_user", *args, stdout=out)
    return out.getvalue()


def test_it_creates_a_user_in_the_org(acme: Organisation) -> None:
    output = run(
        "acme",
        "Road@Acme.test",
        "--password",
        "beep-beep-Long-1",
        "--role",
        "admin",
        "--external-id",
        "rr-1",
    )
    assert "road@acme.test (admin, external id rr-1)" in output
    with with_org(acme):
        user = User.objects.get(email="road@acme.test")
        assert user.is_org_admin and user.external_id == "rr-1"
        assert user.check_password("beep-beep-Long-1")


def test_without_password_the_user_cannot_sign_in_with_one(acme: Organisation) -> None:
    run("acme", "nopw@acme.test")
    with with_org(acme):
        user = User.objects.get(email="nopw@acme.test")
        assert not user.has_usable_password()
        assert user.external_id.startswith("usr_")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nowhere", "a@b.test"], "No organisation"),
        (["acme", "dup@acme.test"], "already exists"),
        (
            ["acme", "x@acme.test", "--external-id", "taken-id"],
            "external id 'taken-id' already exists",
        ),
        (["acme", "weak@acme.test", "--password", "123"], "too short"),
        (["acme", "has space@acme.test"], "without spaces"),
    ],
)
def test_it_refuses_bad_input_and_writes_nothing(
    acme: Organisation, args: list[str], message: str
) -> None:
    with with_org(acme):
        User.objects.create_user("dup@acme.test", external_id="taken-id")
        before = User.objects.count()
    with pytest.raises(CommandError, match=message):
        run(*args)
    with with_org(acme):
        assert User.objects.count() == before


def test_it_refuses_an_unknown_role(acme: Organisation) -> None:
    with pytest.raises(CommandError, match="invalid choice"):
        run("acme", "role@acme.test", "--role", "owner")
