from __future__ import annotations

import pytest

from auth_methods.models import User
from auth_methods.users import user_create
from tenants.context import with_org
from tenants.models import Organisation

pytestmark = pytest.mark.django_db


def test_a_user_of_one_org_is_invisible_from_another(
    acme: Organisation, globex: Organisation
) -> None:
    with with_org(acme):
        user_create(email="wile@acme.test", password="a-Long-passphrase-1")
        assert User.objects.filter(email="wile@acme.test").exists()
    with with_org(globex):
        assert not User.objects.filter(email="wile@acme.test").exists()
        # The same email may exist independently in another organisation.
        user_create(email="wile@acme.test")
        assert User.objects.count() == 1


def test_passwords_are_hashed_with_argon2(acme: Organisation) -> None:
    with with_org(acme):
        user = user_create(email="hash@acme.test", password="a-Long-passphrase-1")
        user.refresh_from_db()
        assert user.password.startswith("argon2$")
        assert "a-Long-passphrase-1" not in user.password
        assert user.check_password("a-Long-passphrase-1")
