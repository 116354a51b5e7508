"""The test settings plus one more tenant app, whose migration the fleet tests apply."""

from tests.settings import *  # noqa: F403

TENANT_APPS = [*TENANT_APPS, "tests.tenants.fleet_app"]  # noqa: F405
INSTALLED_APPS = [*INSTALLED_APPS, "tests.tenants.fleet_app"]  # noqa: F405
