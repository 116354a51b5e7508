"""Loading and changing an organisation's policy: the one path for the API, portal and CLI."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from auth_methods import errors
from auth_methods.audit import Actor, Via, audit_record
from auth_methods.local_lru import BoundedLru
from auth_methods.lockout import no_way_in
from auth_methods.models import AuthSettings
from auth_methods.policy import OrgPolicy, policy_values
from auth_methods.policy_fields import policy_table
from auth_methods.policy_validation import validate_changes
from auth_methods.reauth import require_recent_auth
from tenants.hosts import origin_for_host
from tenants.models import Organisation
from tenants.selectors import org_hosts


def _json(value: object) -> object:
    return list(value) if isinstance(value, tuple) else value


def _stored(policy: OrgPolicy) -> dict[str, Any]:
    """What the row keeps: the fields whose value differs from the table's default (rp_id and
    rp_name stay null when they follow the organisation). A default changed in a later
    release so reaches every organisation that never chose otherwise."""
    return {
        row.name: _json(value)
        for row in policy_table()
        for value in [getattr(policy, row.name)]
        if value != row.default
    }


def _build(
    org: Organisation, stored: Mapping[str, Any], hosts: list[str] | None = None
) -> OrgPolicy:
    names = {row.name for row in policy_table()}
    hosts = org_hosts(org) if hosts is None else hosts
    # A stored key the table no longer holds (a field removed in a later release) is ignored.
    values: dict[str, Any] = {
        name: tuple(value) if isinstance(value, list) else value
        for name, value in stored.items()
        if name in names
    }
    context = OrgPolicy(
        org_name=org.name,
        primary_host=hosts[0] if hosts else "",
        org_origins=tuple(origin_for_host(h) for h in hosts),
    )
    return replace(context, **values)


# Read on every ceremony: cached per org (the default cache's keys carry the schema) and
# emptied on every change; other processes see a change within this many seconds unless
# PASSGATE_CACHE_URL points all processes at one shared cache.
POLICY_CACHE_SECONDS = 30
_POLICY_CACHE_KEY = "auth-settings"


# The policy built from a stored row, per organisation, kept while what it was built from
# (the row's values, the org's name and origins, all still read from the cache on each call)
# stays the same: a change is seen as soon as the cache says so, without rebuilding the policy
# on every ceremony. An OrgPolicy is frozen, so sharing one between requests is safe.
_BUILT: BoundedLru[int, tuple[tuple[dict[str, Any], str, list[str]], OrgPolicy]] = BoundedLru()


def policy_for(org: Organisation) -> OrgPolicy:
    """The current policy of ``org`` (the connection must be in its schema)."""
    stored: dict[str, Any] | None = cache.get(_POLICY_CACHE_KEY)
    if stored is None:
        row = AuthSettings.objects.filter(pk=1).only("values").first()
        stored = dict(row.values) if row else {}
        cache.set(_POLICY_CACHE_KEY, stored, POLICY_CACHE_SECONDS)
    hosts = org_hosts(org)
    # The origins too: they depend on the deployment's scheme and port as well as the hosts.
    source = (stored, org.name, [origin_for_host(host) for host in hosts])
    built = _BUILT.get(org.pk)
    if built is not None and built[0] == source:
        return built[1]
    policy = _build(org, stored, hosts)
    _BUILT.set(org.pk, (source, policy))
    return policy


def _refuse_self_lockout(actor: Actor, current: OrgPolicy, proposed: OrgPolicy) -> None:
    """A signed-in admin may not save a policy under which they could no longer sign in (an
    API key or the CLI has no account of its own to lose)."""
    if actor.via is not Via.SESSION or actor.user is None:
        return
    reasons = no_way_in(current, proposed, actor.user)
    if reasons:
        raise errors.INVALID_REQUEST.with_detail(
            "This change would leave you with no way to sign in ("
            + "; ".join(reasons)
            + "). Set up a way in that the new policy accepts first, or ask another admin."
        )


def auth_settings_update(
    *, org: Organisation, actor: Actor, changes: Mapping[str, object]
) -> OrgPolicy:
    """Validate and apply ``changes`` all or nothing; audit the fields that changed."""
    require_recent_auth(actor)
    with transaction.atomic():
        row, _ = AuthSettings.objects.select_for_update().get_or_create(pk=1)
        current = _build(org, row.values)
        updated = validate_changes(
            current, changes, org_hosts=org_hosts(org), base_domain=settings.BASE_DOMAIN
        )
        _refuse_self_lockout(actor, current, updated)
        before, after = policy_values(current), policy_values(updated)
        changed = [name for name in before if before[name] != after[name]]
        row.values = _stored(updated)
        row.save()
        transaction.on_commit(lambda: cache.delete(_POLICY_CACHE_KEY))
        cache.delete(_POLICY_CACHE_KEY)
        if changed:
            audit_record(
                actor=actor,
                action="auth_settings.update",
                data={
                    "before": {k: before[k] for k in changed},
                    "after": {k: after[k] for k in changed},
                },
            )
    return updated
