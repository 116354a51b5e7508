"""make bench-tenants' fleet migration: the benchmark's settings plus one new tenant app."""

from config.settings import *  # noqa: F403

TENANT_APPS = [*TENANT_APPS, "benchmarks.fleet_feature"]  # noqa: F405
INSTALLED_APPS = [*INSTALLED_APPS, "benchmarks.fleet_feature"]  # noqa: F405
