"""The request's organisation as an OpenID Provider: its issuer and its server."""

from __future__ import annotations

from django.http import HttpRequest

from auth_methods.settings_service import policy_for
from oidc.extensions import Provider
from oidc.server import OrgServer, build_server
from tenants.models import Organisation


def org_of(request: HttpRequest) -> Organisation:
    org = getattr(request, "tenant", None)
    assert isinstance(org, Organisation)  # noqa: S101 (only org hosts route here)
    return org


def issuer_of(request: HttpRequest) -> str:
    """The org's canonical origin for this host: the host lower-cased, a default port dropped,
    so the ``Host`` header's spelling never changes the issuer."""
    host = request.get_host().lower()
    scheme = "https" if request.is_secure() else "http"
    default = ":443" if scheme == "https" else ":80"
    if host.endswith(default):
        host = host[: -len(default)]
    return f"{scheme}://{host}"


def provider_of(request: HttpRequest) -> Provider:
    policy = policy_for(org_of(request))
    return Provider(issuer=issuer_of(request), id_token_seconds=policy.token_ttl_seconds)


def server_for(request: HttpRequest) -> OrgServer:
    return build_server(provider_of(request))
