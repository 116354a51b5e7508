from __future__ import annotations

from django.conf import settings

from tenants.cache_layers import NearCache
from tenants.hosts import origin_for_host
from tenants.models import Domain, Organisation

_MISSING = "missing"
# Host lookups and host lists: read on every routed request, from this process when possible.
routing_cache = NearCache(
    "routing", max_entries=settings.LOCAL_CACHE_ENTRIES, seconds=settings.TENANT_NEAR_CACHE_SECONDS
)


def org_get(slug: str) -> Organisation | None:
    org: Organisation | None = Organisation.objects.filter(slug=slug).first()
    return org


def org_hosts_cache_key(org_id: int) -> str:
    return f"org-hosts:{org_id}"


def org_hosts(org: Organisation) -> list[str]:
    """The org's hostnames, primary first; cached like routing, emptied by tenants.signals."""
    cache = routing_cache
    key = org_hosts_cache_key(org.pk)
    hosts: list[str] | None = cache.get(key)
    if hosts is None:
        rows = Domain.objects.filter(tenant_id=org.pk).order_by("-is_primary", "domain")
        hosts = list(rows.values_list("domain", flat=True))
        cache.set(key, hosts, 300)
    return hosts


def org_origins(org: Organisation) -> list[str]:
    return [origin_for_host(host) for host in org_hosts(org)]


def routing_cache_key(hostname: str) -> str:
    return f"host:{hostname}"


def org_for_host(hostname: str, *, ttl: int) -> Organisation | None:
    """The organisation serving ``hostname``, cached (including misses) for ``ttl`` seconds.

    django-tenants would run one Domain-Organisation join per request; the cache is emptied
    for a hostname whenever its Domain or Organisation row changes (tenants.signals).
    """
    cache = routing_cache
    key = routing_cache_key(hostname)
    cached = cache.get(key)
    if cached == _MISSING:
        return None
    if isinstance(cached, Organisation):
        return cached
    domain = Domain.objects.select_related("tenant").filter(domain=hostname).first()
    org = domain.tenant if domain is not None else None
    if ttl:
        # Misses are kept briefly: a new host must not wait long in processes whose local
        # cache the invalidating signal cannot reach (no shared PASSGATE_CACHE_URL).
        cache.set(key, org if org is not None else _MISSING, ttl if org else min(ttl, 5))
    return org
