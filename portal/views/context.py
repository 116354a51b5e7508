"""Request -> service inputs for portal views (the org, its policy, the acting user)."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme

from auth_methods.audit import Actor
from auth_methods.policy import OrgPolicy
from auth_methods.sessions import browser_actor
from auth_methods.settings_service import policy_for
from tenants.models import Organisation


def org_of(request: HttpRequest) -> Organisation:
    org = getattr(request, "tenant", None)
    assert isinstance(org, Organisation)  # noqa: S101 (routing guarantees it on org hosts)
    return org


def policy_of(request: HttpRequest) -> OrgPolicy:
    return policy_for(org_of(request))


def actor_of(request: HttpRequest) -> Actor:
    return browser_actor(request)


def safe_next(request: HttpRequest, default: str = "/") -> str:
    """``next`` only when it is a path on this very host (no open redirect)."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if (
        target.startswith("/")
        and not target.startswith("//")
        and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return target
    return default
