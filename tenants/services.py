"""Creating organisations and their hostnames: the one path for CLI, admin and tests."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction

from tenants.context import use_public_schema
from tenants.hosts import default_host, is_valid_hostname, origin_for_host
from tenants.models import RESERVED_SLUGS, SLUG_RE, Domain, Organisation
from tenants.platform_audit import platform_audit


class OrgError(ValueError):
    """Bad input for an organisation operation; the message is one line for people."""


@dataclass(frozen=True)
class CreatedOrg:
    org: Organisation
    primary_host: str
    primary_url: str


def schema_for_slug(slug: str) -> str:
    # Slugs hold no underscore, so replacing hyphens keeps the mapping one-to-one.
    return "org_" + slug.replace("-", "_")


def slug_problem(slug: str) -> str | None:
    """Why ``slug`` cannot name a new organisation (format, reserved, taken), or None."""
    if not re.match(SLUG_RE, slug):
        return (
            f"Invalid slug {slug[:60]!r}: use 2-40 lower-case letters, digits and single hyphens, "
            "starting with a letter."
        )
    if slug in RESERVED_SLUGS:
        return f"The slug {slug!r} is reserved."
    if Organisation.objects.filter(slug=slug).exists():
        return f"An organisation with the slug {slug!r} already exists."
    return None


def slug_suggestions(slug: str, *, count: int = 3) -> list[str]:
    """Free slugs close to ``slug`` (its cleaned-up form, then numbered variants)."""
    base = re.sub(r"-{2,}", "-", re.sub(r"[^a-z0-9-]", "-", slug.strip().lower())).strip("-")
    if not base or not base[0].isalpha():
        base = f"org-{base}".strip("-")
    base = base[:36].rstrip("-") or "org"
    candidates = [base, *(f"{base}-{n}" for n in range(2, 2 + count * 4))]
    free: list[str] = []
    for candidate in candidates:
        if slug_problem(candidate) is None and candidate != slug:
            free.append(candidate)
        if len(free) == count:
            break
    return free


def _validate_slug(slug: str) -> None:
    problem = slug_problem(slug)
    if problem is not None:
        raise OrgError(problem)


def _validate_hosts(hosts: Sequence[str]) -> None:
    for host in hosts:
        if not is_valid_hostname(host):
            raise OrgError(f"Invalid hostname {host!r}: use a lower-case DNS name without port.")
        if host in settings.PLATFORM_HOSTS:
            raise OrgError(f"The hostname {host!r} belongs to the platform.")
    taken = list(Domain.objects.filter(domain__in=hosts).values_list("domain", flat=True))
    if taken:
        raise OrgError(f"The hostname {taken[0]!r} is already used by another organisation.")


def org_create_check(*, slug: str, name: str, domains: Sequence[str] = ()) -> list[str]:
    """Validate what ``org_create`` would be given, without creating anything: a form can
    show the error before the slow part starts. Returns the hosts, primary first."""
    name = name.strip()
    if not name or len(name) > 200:
        raise OrgError("The organisation name must be 1-200 characters.")
    _validate_slug(slug)
    primary = default_host(slug)
    hosts = list(dict.fromkeys([primary, *(d.strip().lower() for d in domains)]))
    _validate_hosts(hosts)
    return hosts


def org_create(*, slug: str, name: str, domains: Sequence[str] = ()) -> CreatedOrg:
    """Create an organisation: its schema (migrated), its primary host and any extra hosts.

    Everything is validated before the schema is made; if anything fails afterwards the
    organisation row and schema are dropped again, so nothing is left half-created.
    """
    hosts = org_create_check(slug=slug, name=name, domains=domains)
    name = name.strip()
    primary = hosts[0]

    org = Organisation(schema_name=schema_for_slug(slug), slug=slug, name=name)
    use_public_schema()  # django-tenants creates schemas only from the public schema
    try:
        org.save(verbosity=0)  # creates and migrates the schema, or cleans up and raises
    except IntegrityError:
        raise OrgError(f"An organisation with the slug {slug!r} already exists.") from None
    try:
        with transaction.atomic():
            for host in hosts:  # one save each: post_save empties the routing cache
                Domain.objects.create(domain=host, tenant=org, is_primary=host == primary)
    except IntegrityError:
        org.delete(force_drop=True)
        raise OrgError("One of the hostnames was taken meanwhile; nothing was created.") from None
    return CreatedOrg(org=org, primary_host=primary, primary_url=origin_for_host(primary))


def org_delete(org: Organisation) -> None:
    org.delete(force_drop=True)


def org_set_active(org: Organisation, active: bool, *, actor: str) -> None:
    """Disable (or enable again) an organisation: its hosts then answer "organisation disabled";
    nothing is deleted. Audited on the platform; the save empties the routing cache."""
    org.is_active = active
    org.save(update_fields=["is_active"])
    platform_audit(
        "org.enable" if active else "org.disable", "success", actor=actor, subject=org.slug
    )
