from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from auth_methods.models import User
from auth_methods.users import user_create
from tenants.context import with_org
from tenants.models import Organisation

PASSWORD = "a-Long-passphrase-1"


def make_user(org: Organisation, email: str, role: str = "member", **extra: Any) -> User:
    with with_org(org):
        return user_create(email=email, password=PASSWORD, role=role, **extra)


def signed_in(org: Organisation, user: User) -> Client:
    """A browser on the org's host that signed in with the password (so step-up is fresh)."""
    client = Client(HTTP_HOST=f"{org.slug}.localhost")
    response = client.post("/login", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.content[:400]
    assert not response["Location"].startswith("/login/second-factor"), "a second factor is due"
    return client


@pytest.fixture
def admin(acme: Organisation) -> User:
    return make_user(acme, "admin@acme.test", "admin")


@pytest.fixture
def member(acme: Organisation) -> User:
    return make_user(acme, "member@acme.test")


@pytest.fixture
def admin_client(acme: Organisation, admin: User) -> Client:
    return signed_in(acme, admin)


@pytest.fixture
def member_client(acme: Organisation, member: User) -> Client:
    return signed_in(acme, member)


@pytest.fixture
def other_org_admin_client(globex: Organisation) -> Client:
    """An admin of globex, whose session cookie is replayed on acme's host."""
    admin = make_user(globex, "admin@globex.test", "admin")
    client = signed_in(globex, admin)
    cookie = client.cookies["sessionid"].value
    acme_client = Client(HTTP_HOST="acme.localhost")
    acme_client.cookies["sessionid"] = cookie
    return acme_client
