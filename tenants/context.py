"""The current organisation: django-tenants keeps it on the connection, never a thread-local."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection
from django_tenants.utils import get_public_schema_name

from tenants.models import Organisation


def _tenant_connection() -> Any:
    # django-tenants' database wrapper adds the schema methods; Django's stubs don't know them.
    return connection


def use_public_schema() -> None:
    _tenant_connection().set_schema_to_public()


def use_schema(schema_name: str, *, include_public: bool = True) -> None:
    """By name, for a schema with no organisation row yet (while it is being created)."""
    _tenant_connection().set_schema(schema_name, include_public=include_public)


def use_tenant(tenant: Any) -> None:
    _tenant_connection().set_tenant(tenant)


def platform_tenant() -> Organisation:
    """An unsaved stand-in for the public schema: the platform has no organisation row."""
    return Organisation(schema_name=get_public_schema_name(), slug="", name="Passgate platform")


def current_org() -> Organisation | None:
    tenant = getattr(connection, "tenant", None)
    if isinstance(tenant, Organisation) and tenant.pk is not None:
        return tenant
    return None


@contextmanager
def with_org(org: Organisation) -> Iterator[Organisation]:
    """Run a block in ``org``'s schema, restoring the previous schema afterwards."""
    previous = getattr(connection, "tenant", None)
    use_tenant(org)
    try:
        yield org
    finally:
        if previous is None:
            use_public_schema()
        else:
            use_tenant(previous)
